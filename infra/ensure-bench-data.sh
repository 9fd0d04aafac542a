#!/usr/bin/env bash
# Install the Debian data the benchmarks read at run time (not copied into the repo):
#   pocketsphinx-testdata: LibriVox / CMU test clips with transcripts, for ASR accuracy on real
#   human speech (bench/asr_accuracy.py reads /usr/share/pocketsphinx/test/data/).
#   espeak-ng: the second synthetic voice bench/make_asr_set.py uses to regenerate the set.
# Usage: infra/ensure-bench-data.sh
set -euo pipefail
exec bash "$(dirname "$0")/ensure-system-packages.sh" pocketsphinx-testdata espeak-ng
