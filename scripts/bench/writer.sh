#!/usr/bin/env bash
# Writer cost per filed report (process CPU) through the real FileReport handler and Writer, in batches of BATCH
# concurrent reports, beside a minimal durable write (one integer row) through the same writer, in the same run.
#   BATCH=16 N=8000 scripts/bench.sh writer
set -euo pipefail
cd "$(dirname "$0")/WriterBench"
dotnet run -c Release writer.cs
