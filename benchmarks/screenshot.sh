#!/bin/sh
# Screenshots of every built sheet for review: each HTML page at its full height through
# headless Chromium, each PDF page through pdftoppm, into BUILD/screenshots/.
#   benchmarks/screenshot.sh [BUILD-FOLDER (default build)] [WIDTH (default 1200)]
set -eu
BUILD=$(cd "${1:-build}" && pwd)
WIDTH=${2:-1200}
OUT="$BUILD/screenshots"
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
browse() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/profile" --hide-scrollbars "$@" 2>/dev/null
}
for page in "$BUILD"/*.html; do
  name=$(basename "$page" .html)
  # The sheets carry no script; a scratch copy measures the page height once laid out.
  sed 's#</body>#<script>document.title = document.documentElement.scrollHeight</script></body>#' \
    "$page" > "$WORK/$name.html"
  height=$(browse --window-size="$WIDTH,1000" --dump-dom "file://$WORK/$name.html" |
           sed -n 's#.*<title>\([0-9]*\)</title>.*#\1#p' | head -n 1)
  height=${height:-4000}
  [ "$height" -gt 30000 ] && height=30000
  browse --window-size="$WIDTH,$height" --screenshot="$OUT/$name.png" "file://$page" >/dev/null
  echo "$OUT/$name.png (${WIDTH}x$height)"
done
for pdf in "$BUILD"/*.pdf; do
  [ -e "$pdf" ] || continue
  name=$(basename "$pdf" .pdf)
  rm -f "$OUT/$name"-pdf-*.png
  pdftoppm -png -r 60 "$pdf" "$OUT/$name-pdf"
  echo "$OUT/$name-pdf-*.png ($(ls "$OUT/$name"-pdf-*.png | wc -l) pages)"
done
