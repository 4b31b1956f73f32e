#!/usr/bin/env bash
# Build and run the engine-boundary suites (test/host, test/examples) against the OLDEST @pulumi/pulumi that
# the peer range in package.json admits, in a throwaway copy of the repository, so a claim such as
# "^3.139.0" is tested rather than assumed. The repository's own node_modules is never touched.
# Then install the packed package into a user's project on that SDK and FAIL unless `npm ls @pulumi/pulumi`
# shows exactly one copy: pulumi-enos must never bring a second SDK into a project.
#
#   scripts/test-oldest-sdk.sh            # the lowest version of the peer range
#   scripts/test-oldest-sdk.sh 3.150.0    # or any version you name
#   VITEST_ARGS="--maxWorkers=1" scripts/test-oldest-sdk.sh   # extra vitest options (e.g. on a loaded machine)
#
# Prints the SDK versions it ran: the one the repository builds with and the one under test.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

range="$(node -p 'require("./package.json").peerDependencies["@pulumi/pulumi"]')"
# The lowest version a caret/tilde/>= range admits is the version it names.
oldest="${1:-$(printf '%s' "$range" | sed -E 's/^[~^>= ]*//; s/[ <].*$//')}"
dev="$(node -p 'require("@pulumi/pulumi/package.json").version' 2>/dev/null || echo 'not installed')"

work="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-enos-oldest-sdk.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

echo "test-oldest-sdk: peer range $range; repository builds with @pulumi/pulumi $dev; testing $oldest in $work"

# The tracked and new files of the working tree (not node_modules, dist or .git).
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work"
cd "$work"
npm ci --no-audit --no-fund --loglevel=error
# Replace the SDK (and only the SDK) with the oldest version, without rewriting the lockfile copy's manifest.
npm install --no-save --no-audit --no-fund --loglevel=error "@pulumi/pulumi@$oldest"
installed="$(node -p 'require("@pulumi/pulumi/package.json").version')"
if [ "$installed" != "$oldest" ]; then
  echo "test-oldest-sdk: expected @pulumi/pulumi $oldest, found $installed" >&2
  exit 1
fi
echo "test-oldest-sdk: @pulumi/pulumi $installed installed in the repository copy"

# Compiling against the old SDK's type declarations checks every SDK type we use exists there.
npx tsc -p tsconfig.build.json

# A user's project on the oldest SDK: the packed pulumi-enos and @pulumi/pulumi@$oldest, nothing else.
npm pack --ignore-scripts --pack-destination "$work" --loglevel=error >/dev/null
tarball="$(ls "$work"/pulumi-enos-*.tgz)"
user="$work/user-project"
mkdir "$user"
(
  cd "$user"
  printf '{ "name": "enos-user-project", "private": true }\n' >package.json
  npm install --no-audit --no-fund --loglevel=error "$tarball" "@pulumi/pulumi@$oldest"
  npm ls @pulumi/pulumi --all
  copies="$(npm ls @pulumi/pulumi --all --parseable | grep -c '/node_modules/@pulumi/pulumi$' || true)"
  if [ "$copies" != "1" ]; then
    echo "test-oldest-sdk: FAILED: a user's project on @pulumi/pulumi $oldest has $copies copies of the SDK (npm ls above); pulumi-enos must never add one" >&2
    exit 1
  fi
  node -e 'require("pulumi-enos"); require("pulumi-enos/policy")'
  echo "test-oldest-sdk: a user's project on @pulumi/pulumi $oldest has one SDK copy, and loads pulumi-enos and pulumi-enos/policy"
)

# shellcheck disable=SC2086 # VITEST_ARGS is a list of options
npx vitest run test/host test/examples ${VITEST_ARGS:-}

echo "test-oldest-sdk: test/host and test/examples passed with @pulumi/pulumi $installed (peer range $range; dev build $dev)"
