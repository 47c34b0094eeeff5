#!/bin/sh
# A hook that hangs (and ignores SIGTERM), to be killed at its timeout.
trap '' TERM
echo "hanging as $$" >> "$1"
sleep 60
