#!/bin/sh
# The default corpus of eoslab.gpt.TextData: the King James Bible (public domain) as plain text.
# Debian's bible-kjv-text keeps it in its own compressed format; the bible reader of bible-kjv
# prints it. Writes datasets/text/kjv.txt (about 4.3 MB, not committed).
set -eu
cd "$(dirname "$0")"
command -v bible >/dev/null 2>&1 || apt-get install -y bible-kjv
bible Gen1:1-Rev22:21 > kjv.txt
echo "wrote $(pwd)/kjv.txt ($(wc -c < kjv.txt) bytes)"
