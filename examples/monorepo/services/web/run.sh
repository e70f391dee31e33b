#!/bin/sh
echo "web $(cat /app/VERSION) is running"
