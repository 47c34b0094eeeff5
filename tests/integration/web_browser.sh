#!/bin/sh
# The dashboard in Debian's headless Chromium (driven by playwright-core,
# installed here from npm into BUILD/node): overview, device, host, all
# metrics, firmware and events pages load without console errors or failed
# requests, graphs render, the range picker, drag-zoom, sorting and the
# port filter work, the page fits a phone screen. Screenshots of each page
# are kept in BUILD/artifacts/web-*.png.
. "$(dirname "$0")/lib_web.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NODE_DIR="$TOP/$BUILD/node"
ART="$TOP/$BUILD/artifacts"
mkdir -p "$NODE_DIR" "$ART"
if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	nok "chromium, node and npm are installed (make deps)"
	finish
fi
if [ ! -d "$NODE_DIR/node_modules/playwright-core" ]; then
	(cd "$NODE_DIR" && npm install --no-audit --no-fund --silent playwright-core@1) > "$W/npm.log" 2>&1 ||
	    { nok "npm install playwright-core" "$(tail -5 "$W/npm.log")"; finish; }
fi
ok "playwright-core $(cd "$NODE_DIR" && node -p 'require("playwright-core/package.json").version')"
cp "$TOP/tests/browser/web.mjs" "$NODE_DIR/web.mjs"

P=$(free_port)
U=http://127.0.0.1:$P
write_config browser "$P"
start_agent browser "$U" || { nok "agent starts"; finish; }
wait_data "$U" && ok "agent up with data" || nok "agent up with data"
sleep 2 # a few points of history for the graphs

# The node script prints its own TAP: renumber it into ours.
BASE=$U ARTIFACTS=$ART CHROMIUM=$CHROMIUM timeout 240 node "$NODE_DIR/web.mjs" > "$W/browser.tap" 2>&1
rc=$?
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) nok "${line#not ok * - }" ;;
	"1.."*) ;;
	*) echo "# $line" ;;
	esac
done < "$W/browser.tap"
[ $rc -eq 0 ] || [ $fails -gt 0 ] || nok "browser run exits 0" "exit $rc"
for f in overview device device-7d device-dark host metrics firmware events overview-phone; do
	if [ -s "$ART/web-$f.png" ] && head -c 8 "$ART/web-$f.png" | grep -q PNG; then
		ok "screenshot kept: $BUILD/artifacts/web-$f.png"
	else
		nok "screenshot kept: $BUILD/artifacts/web-$f.png"
	fi
done
finish
