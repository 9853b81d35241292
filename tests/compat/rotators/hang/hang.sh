#!/bin/sh
# Hangs past any timeout, with a background child in the same process group. The odd durations let the test find
# these processes in /proc.
sleep 86397 &
echo "createSecret: waiting for the API service" >&2
sleep 86398
