"""What the cases API's routes share, built once per container: the cases service, the sources as the
console's delivery log shows them, and the user pool's app client that signs leads in."""

from __future__ import annotations

from recovery.services.inbound_hooks import SourceAdmin
from recovery.settings import public_base_url
from recovery.store.hook_log import HookLog
from recovery.store.sources import SourceStore
from recovery.wiring.cases import build_cases, user_pool_client_id
from recovery.wiring.messaging import MessagingSettings

cases = build_cases(MessagingSettings.from_env())
client_id = user_pool_client_id()
source_admin = SourceAdmin(SourceStore(), HookLog(), public_base_url())
