"""What the cases API's routes share, built once per container (recovery.wiring.cases): the cases service,
the sources as the console's delivery log shows them, and the user pool's app client that signs leads in,
behind the sign-in throttle."""

from __future__ import annotations

from recovery.wiring.cases import build_cases_api
from recovery.wiring.messaging import MessagingSettings

api = build_cases_api(MessagingSettings.from_env())
cases = api.cases
client_id = api.client_id
user_pool = api.user_pool
sign_in_throttle = api.sign_in_throttle
source_admin = api.source_admin
