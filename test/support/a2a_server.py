"""An A2A agent built with the Python SDK (a2a-sdk), for interoperability tests: an implementation
independent of the JavaScript one Arbiter's client comes from. It speaks protocol 1.0 or, with
--compat, offers only 0.3 (a 0.3-shaped card with a top-level url, and the SDK's 0.3 JSON-RPC
methods). Each task works for a moment, then completes with a data artifact built from the
contract it was sent. Loopback only.
"""

import argparse
import asyncio

import uvicorn
from starlette.applications import Starlette

from a2a.compat.v0_3.conversions import to_compat_agent_card
from a2a.helpers import get_data_parts, new_data_part, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types.a2a_pb2 import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, TaskState
from starlette.responses import JSONResponse
from starlette.routing import Route


class ReportExecutor(AgentExecutor):
    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is None:
            task = new_task_from_user_message(context.message)
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        await updater.update_status(TaskState.TASK_STATE_WORKING)
        await asyncio.sleep(1.0)
        sent = next(iter(get_data_parts(context.message.parts)), {}) or {}
        contract = sent.get('contract', {}) if isinstance(sent, dict) else {}
        report = {
            'summary': f"done by the Python agent: {contract.get('title', '?')}",
            'criteria': list(contract.get('acceptanceCriteria', [])),
        }
        await updater.add_artifact([new_data_part(report)], name='report')
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id, context.context_id)
        await updater.cancel()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--compat', action='store_true', help='offer protocol 0.3 only')
    args = parser.parse_args()
    base = f'http://127.0.0.1:{args.port}'
    version = '0.3' if args.compat else '1.0'
    card = AgentCard(
        name='Python Report Agent',
        description='Writes reports (a2a-sdk for Python)',
        version='0.9.0',
        supported_interfaces=[AgentInterface(url=f'{base}/a2a', protocol_binding='JSONRPC', protocol_version=version)],
        capabilities=AgentCapabilities(streaming=False, push_notifications=False),
        default_input_modes=['text/plain', 'application/json'],
        default_output_modes=['application/json'],
        skills=[AgentSkill(id='report', name='Reports', description='Writes reports', tags=['data'])],
    )
    handler = DefaultRequestHandler(agent_executor=ReportExecutor(), task_store=InMemoryTaskStore(), agent_card=card)
    routes = create_jsonrpc_routes(handler, '/a2a', enable_v0_3_compat=args.compat)
    if args.compat:
        # What a 0.3 server serves: the 0.3 card alone (top-level url and protocolVersion).
        legacy = to_compat_agent_card(card).model_dump(mode='json', by_alias=True, exclude_none=True)

        async def legacy_card(_request):
            return JSONResponse(legacy)

        routes.append(Route('/.well-known/agent-card.json', legacy_card, methods=['GET']))
    else:
        routes.extend(create_agent_card_routes(card))
    uvicorn.run(Starlette(routes=routes), host='127.0.0.1', port=args.port, log_level='warning')


if __name__ == '__main__':
    main()
