"""The board: what a Streamer looks like, for its own reprs and for the display room.

Below the rooms, as the core's ``repr()`` and ``_repr_html_`` need it as much as
the live display in :mod:`kavalai.display` does; it imports no optional
dependency.
"""
