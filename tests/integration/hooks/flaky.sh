#!/bin/sh
# A hook that fails its first two calls, then succeeds.
echo "call attempt=$CHOKEPOINT_ATTEMPT" >> "$1"
[ "$(wc -l < "$1")" -ge 3 ] || { echo "failing on purpose"; exit 7; }
echo "third time lucky"
