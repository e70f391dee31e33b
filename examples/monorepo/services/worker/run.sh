#!/bin/sh
echo "worker $(cat /app/VERSION) is running"
