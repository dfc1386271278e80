#!/usr/bin/env bash
# The delivery half of `make demo`, run inside the demo's copy of examples/service:
# build once -> dev -> staging (the same digest) -> production waiting for approval ->
# approved -> live; then a version whose smoke test fails (the live alias does not move)
# and one whose E2E tests fail after the switch (rolled back automatically).
# Usage: demo-delivery.sh CONVEYOR STATE_DIR
set -euo pipefail
conveyor=$1
export CONVEYOR_HOME=$2 CI=true
commit() { git -c user.name=conveyor-demo -c user.email=demo@conveyor.invalid commit -qam "$1"; }
say() { printf '\n== %s ==\n' "$*"; }

say "dev: build once, deploy behind a smoke test, then E2E against the new version"
git checkout -q -b dev
"$conveyor" run -W .github/workflows/deploy-dev.yml --event push

say "staging: no rebuild -- promote dev's artifact (digest checked), deploy, verify"
git checkout -q main
git merge -q --ff-only dev
"$conveyor" run -W .github/workflows/deploy-staging.yml --event push

say "production: tag v1.0.0 on main; the job waits for a release manager"
git tag v1.0.0
"$conveyor" trigger tag v1.0.0 -W .github/workflows/deploy-production.yml --no-wait
"$conveyor" pending
run=$("$conveyor" pending --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run"])')
"$conveyor" approve "$run" --env production --as release-manager --comment "demo release"
"$conveyor" resume "$run"
"$conveyor" artifacts --app tickets

say "dev: a version whose smoke test fails -- the live alias stays where it was"
git checkout -q dev
python3 - <<'PY'
from pathlib import Path
api = Path("src/tickets/api.py")
api.write_text(api.read_text().replace(
    'return HTTPStatus.OK, {"status": "ok", "events"',
    'return HTTPStatus.OK, {"status": "degraded", "events"',
))
PY
commit "health: report degraded"
"$conveyor" run -W .github/workflows/deploy-dev.yml --event push || echo "(failed, as it should: smoke test)"
git -c user.name=conveyor-demo -c user.email=demo@conveyor.invalid revert --no-edit HEAD >/dev/null

say "dev: a version whose E2E tests fail after the switch -- rolled back automatically"
python3 - <<'PY'
from pathlib import Path
pricing = Path("src/tickets/pricing.py")
pricing.write_text(pricing.read_text().replace(
    'GROUP_SIZE = 5', 'GROUP_SIZE = 6'
))
PY
commit "pricing: groups start at six"
"$conveyor" run -W .github/workflows/deploy-dev.yml --event push || echo "(failed, as it should: E2E; rolled back)"

say "what is live where, and what happened"
"$conveyor" deployments --app tickets
"$conveyor" router stop
