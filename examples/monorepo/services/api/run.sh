#!/bin/sh
echo "api $(cat /app/VERSION) is running"
