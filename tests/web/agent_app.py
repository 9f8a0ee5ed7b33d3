"""A pydantic-ai agent on a FunctionModel (no network), served over AG-UI and the UI message stream.

The model thinks, calls a tool whose arguments come in pieces, and answers
after the tool's result; the tool sets the shared state with a snapshot and a
delta. Each served run keeps what the agent produced, to compare with what
kavalai read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import StateDeltaEvent, StateSnapshotEvent
from pydantic_ai import Agent, ToolReturn
from pydantic_ai.agent import AgentRunResult
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ThinkingPart, ToolCallPart
from pydantic_ai.models.function import (
    AgentInfo,
    DeltaThinkingPart,
    DeltaToolCall,
    DeltaToolCalls,
    FunctionModel,
)
from pydantic_ai.ui.ag_ui import AGUIAdapter
from pydantic_ai.ui.vercel_ai import VercelAIAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ARGUMENT_PIECES = ['{"ci', 'ty": "Pa', 'ris", "days": [1, ', "2]}"]
ANSWER_PIECES = ["It is ", "sunny ", "in Paris."]
THOUGHT_PIECES = ["Let me ", "look it up."]
STATE_SNAPSHOT = {"city": "Paris", "forecast": []}
STATE_PATCH = [
    {"op": "add", "path": "/forecast/-", "value": {"day": 1, "sky": "sun"}},
    {"op": "add", "path": "/temperature", "value": 21},
]
AG_UI_BODY = {
    "threadId": "thread-1",
    "runId": "run-1",
    "messages": [{"id": "user-1", "role": "user", "content": "Weather in Paris?"}],
    "state": {},
    "tools": [],
    "context": [],
    "forwardedProps": {},
}
CHAT_BODY = {
    "trigger": "submit-message",
    "id": "chat-1",
    "messages": [
        {"id": "user-1", "role": "user", "parts": [{"type": "text", "text": "Weather in Paris?"}]}
    ],
}


@dataclass
class Produced:
    """What the agent's runs produced, by the agent's own record of them."""

    runs: list[list[ModelMessage]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def parts(self) -> list[Any]:
        """The parts of the last run's model responses, in order."""
        return [
            part
            for message in self.runs[-1]
            if isinstance(message, ModelResponse)
            for part in message.parts
        ]

    def texts(self) -> list[str]:
        return [part.content for part in self.parts() if isinstance(part, TextPart)]

    def thoughts(self) -> list[str]:
        return [part.content for part in self.parts() if isinstance(part, ThinkingPart)]

    def calls(self) -> list[ToolCallPart]:
        return [part for part in self.parts() if isinstance(part, ToolCallPart)]


async def weather_model(
    messages: list[ModelMessage], info: AgentInfo
) -> AsyncIterator[str | DeltaToolCalls | dict[int, DeltaThinkingPart]]:
    if len(messages) == 1:
        for piece in THOUGHT_PIECES:
            yield {0: DeltaThinkingPart(content=piece)}
        first, *rest = ARGUMENT_PIECES
        yield {1: DeltaToolCall(name="weather", json_args=first, tool_call_id="call-1")}
        for piece in rest:
            yield {1: DeltaToolCall(json_args=piece)}
        return
    for piece in ANSWER_PIECES:
        yield piece


def weather_agent() -> Agent[None, str]:
    agent = Agent(FunctionModel(stream_function=weather_model))

    @agent.tool_plain
    def weather(city: str, days: list[int]) -> ToolReturn:
        return ToolReturn(
            return_value=f"sunny in {city} for {len(days)} days",
            metadata=[
                StateSnapshotEvent(snapshot=STATE_SNAPSHOT),
                StateDeltaEvent.model_validate({"delta": STATE_PATCH}),
            ],
        )

    return agent


async def endless_model(
    messages: list[ModelMessage], info: AgentInfo, produced: Produced
) -> AsyncIterator[str]:
    """Writes one piece, then waits for ever: until its run is cancelled."""
    try:
        yield "Thinking..."
        produced.started.set()
        await asyncio.Event().wait()
    finally:
        produced.stopped.set()


def agent_app(produced: Produced, *, endless: bool = False) -> Starlette:
    """POST /ag-ui (AG-UI; /ag-ui-0.1.10 as a peer before 1.0 gets it) and POST /chat (the UI
    message stream), all on the agent."""
    if endless:

        async def model(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
            async for piece in endless_model(messages, info, produced):
                yield piece

        agent: Agent[None, str] = Agent(FunctionModel(stream_function=model))
    else:
        agent = weather_agent()

    def keep(result: AgentRunResult[Any]) -> None:
        produced.runs.append(result.all_messages())

    async def ag_ui(request: Request) -> Response:
        return await AGUIAdapter.dispatch_request(request, agent=agent, on_complete=keep)

    async def ag_ui_0_10(request: Request) -> Response:  # THINKING_* events, before 1.0
        return await AGUIAdapter.dispatch_request(
            request, agent=agent, on_complete=keep, ag_ui_version="0.1.10"
        )

    async def chat(request: Request) -> Response:
        return await VercelAIAdapter.dispatch_request(request, agent=agent, on_complete=keep)

    return Starlette(
        routes=[
            Route("/ag-ui", ag_ui, methods=["POST"]),
            Route("/ag-ui-0.1.10", ag_ui_0_10, methods=["POST"]),
            Route("/chat", chat, methods=["POST"]),
        ]
    )
