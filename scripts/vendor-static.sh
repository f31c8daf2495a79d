#!/usr/bin/env bash
# Vendor the page's libraries from the npm registry into service/static/vendor/ (committed,
# so neither `make run` nor the image needs npm): pinned versions, their licences, only the
# files the page loads. Run it again after changing a version; it rewrites the folder.
#
#   KaTeX 0.19.1 (MIT): the formulas, typeset from the catalog's LaTeX (woff2 fonts only).
#   uPlot 1.6.32 (MIT): the charts — axes, ticks, high-DPI canvas, cursor, drag-to-zoom.
set -euo pipefail
cd "$(dirname "$0")/.."
KATEX=0.19.1
UPLOT=1.6.32
out=service/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "katex@$KATEX" "uplot@$UPLOT" >/dev/null)
rm -rf "$out" && mkdir -p "$out/katex/fonts" "$out/uplot"
tar -xzf "$work/katex-$KATEX.tgz" -C "$work" && mv "$work/package" "$work/katex"
cp "$work/katex/dist/katex.min.js" "$work/katex/dist/katex.min.css" "$work/katex/LICENSE" "$out/katex/"
cp "$work/katex/dist/fonts/"*.woff2 "$out/katex/fonts/"
# The stylesheet names woff2, woff and ttf for each font; only woff2 is shipped (every current
# browser reads it), so the other two are dropped from the @font-face rules.
sed -i -E 's/,url\(fonts\/[^)]*\.woff\) format\("woff"\)//g; s/,url\(fonts\/[^)]*\.ttf\) format\("truetype"\)//g' \
  "$out/katex/katex.min.css"
tar -xzf "$work/uplot-$UPLOT.tgz" -C "$work" && mv "$work/package" "$work/uplot"
cp "$work/uplot/dist/uPlot.iife.min.js" "$work/uplot/dist/uPlot.min.css" "$work/uplot/LICENSE" "$out/uplot/"
printf 'katex %s\nuplot %s\n' "$KATEX" "$UPLOT" > "$out/VERSIONS"
echo "vendored into $out:"; du -sh "$out"/*
