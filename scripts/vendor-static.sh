#!/usr/bin/env bash
# Vendor the page's libraries from the npm registry into service/static/vendor/ (committed,
# so neither `make run` nor the image needs npm): pinned versions, their licences, only the
# files the page loads. Run it again after changing a version; it rewrites the folder.
#
#   KaTeX 0.19.1 (MIT): the formulas, typeset from the catalog's LaTeX (woff2 fonts only).
set -euo pipefail
cd "$(dirname "$0")/.."
KATEX=0.19.1
out=service/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "katex@$KATEX" >/dev/null)
rm -rf "$out" && mkdir -p "$out/katex/fonts"
tar -xzf "$work/katex-$KATEX.tgz" -C "$work" && mv "$work/package" "$work/katex"
cp "$work/katex/dist/katex.min.js" "$work/katex/dist/katex.min.css" "$work/katex/LICENSE" "$out/katex/"
cp "$work/katex/dist/fonts/"*.woff2 "$out/katex/fonts/"
# The stylesheet names woff2, woff and ttf for each font; only woff2 is shipped (every current
# browser reads it), so the other two are dropped from the @font-face rules.
sed -i -E 's/,url\(fonts\/[^)]*\.woff\) format\("woff"\)//g; s/,url\(fonts\/[^)]*\.ttf\) format\("truetype"\)//g' \
  "$out/katex/katex.min.css"
printf 'katex %s\n' "$KATEX" > "$out/VERSIONS"
echo "vendored into $out:"; du -sh "$out"/*
