#!/usr/bin/env bash
# husk report on the real node images: the HTML file is rendered by headless Chromium, and the
# rendered page must show every container (the case database's and Docker's own truth, removed
# ones included) and every finding, draw the SVG timeline, make a screenshot that is not blank,
# and ask for nothing outside the file. A case database with hostile strings (markup in a
# container name, a finding, a path; an attribute break-out; control characters and invalid
# UTF-8 in a log line) must render them as text.
. "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null 2>&1; then
    notok "report: chromium is not installed (scripts/install-deps.sh installs it)"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    notok "report: python3 is not installed (scripts/install-deps.sh installs it)"
    exit 0
fi

PROFILE=$WORK/report-chromium
mkdir -p "$PROFILE"
# chromium_run ARGS...: headless Chromium with a profile of its own, no network needed
chromium_run() {
    HOME=$PROFILE timeout 180 chromium --headless --no-sandbox --disable-gpu \
        --user-data-dir="$PROFILE" --no-first-run --disable-extensions "$@" 2>/dev/null
}
# render HTML DOM PNG: the rendered DOM and a 1280x4000 screenshot
render() {
    chromium_run --dump-dom "file://$1" > "$2"
    chromium_run --screenshot="$3" --window-size=1280,4000 "file://$1" > /dev/null
}

# png_check PNG: "ok W H COLOURS" when it is a valid PNG with at least 8 distinct colours
png_check() {
    python3 - "$1" <<'PY'
import struct, sys, zlib
try:
    d = open(sys.argv[1], 'rb').read()
except OSError:
    print('missing'); sys.exit(0)
if d[:8] != b'\x89PNG\r\n\x1a\n':
    print('not a PNG'); sys.exit(0)
pos, idat, hdr = 8, [], None
while pos + 8 <= len(d):
    n, t = struct.unpack('>I4s', d[pos:pos + 8])
    body = d[pos + 8:pos + 8 + n]
    if zlib.crc32(t + body) != struct.unpack('>I', d[pos + 8 + n:pos + 12 + n])[0]:
        print('bad CRC in', t); sys.exit(0)
    pos += 12 + n
    if t == b'IHDR': hdr = struct.unpack('>IIBBBBB', body)
    elif t == b'IDAT': idat.append(body)
    elif t == b'IEND': break
w, h, depth, ctype = hdr[:4]
if depth != 8 or ctype not in (2, 6):
    print('unexpected PNG format', depth, ctype); sys.exit(0)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(b''.join(idat))
stride = w * bpp
prev, i, colours = bytearray(stride), 0, set()
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    if f == 1:
        for x in range(bpp, stride): line[x] = (line[x] + line[x - bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for x in range(stride):
            line[x] = (line[x] + ((line[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
    elif f == 4:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 7):
        colours.add(bytes(line[x:x + bpp]))
    prev = line
print('ok', w, h, 'many' if len(colours) >= 8 else len(colours))
PY
}

# page_problems FILE: what in FILE could fetch something or run code, parsed as HTML: elements
# that load or run things, on* attributes, src/srcset/data/action attributes, links that leave
# the page, url()/@import in CSS; one line each, nothing when the page is clean
page_problems() {
    python3 - "$1" <<'PY'
import sys
from html.parser import HTMLParser
BAD_TAGS = {'script', 'img', 'iframe', 'frame', 'frameset', 'link', 'object', 'embed', 'video',
            'audio', 'source', 'track', 'picture', 'base', 'form', 'input', 'image', 'use',
            'feimage', 'portal', 'applet', 'noscript'}
LOADING = {'src', 'srcset', 'data', 'poster', 'action', 'formaction', 'background', 'ping',
           'xlink:href', 'codebase', 'manifest'}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad, self.tag = [], None
    def handle_starttag(self, tag, attrs):
        self.tag = tag
        if tag in BAD_TAGS:
            self.bad.append('element <%s>' % tag)
        for k, v in attrs:
            v = v or ''
            if k.startswith('on') or k in LOADING:
                self.bad.append('attribute %s=%r on <%s>' % (k, v[:40], tag))
            elif k == 'href' and not v.startswith('#'):
                self.bad.append('link %r' % v[:60])
            elif k == 'style' and ('url(' in v.lower() or 'expression(' in v.lower()):
                self.bad.append('style %r' % v[:60])
            elif k == 'http-equiv' and v.lower() == 'refresh':
                self.bad.append('meta refresh')
    handle_startendtag = handle_starttag
    def handle_data(self, d):
        if self.tag == 'style' and ('url(' in d.lower() or '@import' in d.lower()):
            self.bad.append('CSS fetches something')
p = P()
p.feed(open(sys.argv[1], encoding='utf-8', errors='replace').read())
for b in p.bad[:5]:
    print(b)
PY
}

# no_requests WHAT FILE: nothing in FILE can make the browser fetch anything
no_requests() {
    check_eq "$1: nothing loads or runs (elements, on* attributes, links, CSS)" "" \
        "$(page_problems "$2")"
    check_eq "$1: no http(s) reference in a src or href" 0 \
        "$(grep -Eic '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?https?:' "$2")"
    check_eq "$1: a Content-Security-Policy forbids every request" 1 \
        "$(grep -c "Content-Security-Policy\" content=\"default-src 'none'" "$2")"
}

# report_node NAME DB: analyse, report, render and check one node
report_node() {
    local name=$1 db=$2 html=$WORK/report-$1.html dom=$WORK/report-$1.dom png=$WORK/report-$1.png
    local truth=$TESTDATA/$name/truth id cname n missing
    rm -f "$db" "$html" "$dom" "$png"
    check_rc "$name: analyse" 0 "$HUSK" analyse -q "$(raw_image "$name")" -o "$db"
    check_rc "$name: report" 0 "$HUSK" report -q "$db" -o "$html"
    check_eq "$name: the report is one HTML document" 1 \
        "$(head -c 15 "$html" | grep -c '<!DOCTYPE html>')"
    render "$html" "$dom" "$png"
    check_eq "$name: Chromium rendered the page" 1 "$(grep -c '<section id="summary">' "$dom")"

    # every container of the case database, by full ID and by name
    missing=""
    while IFS='|' read -r id cname; do
        grep -qF "$id" "$dom" || missing="$missing $id"
        if [ -n "$cname" ]; then grep -qF ">$cname<" "$dom" || missing="$missing $cname"; fi
    done < <(sql "$db" "select id, coalesce(name, '') from containers")
    check_eq "$name: every container of the case (ID and name) is in the rendered page" "" "$missing"
    # ... and every container Docker listed (truth), removed ones included
    missing=""
    while IFS=$'\t' read -r cname id _; do
        [ "$cname" = name ] && continue
        grep -qF "$id" "$dom" || missing="$missing $id"
        grep -qF ">$cname<" "$dom" || missing="$missing $cname"
    done < "$truth/containers.tsv"
    check_eq "$name: every container of the truth is in the rendered page" "" "$missing"
    n=$(grep -c . "$truth/containers.tsv")
    check_eq "$name: the truth lists containers" 1 "$([ "$n" -gt 2 ] && echo 1 || echo 0)"

    # every finding, by its id, with its rule
    missing=""
    while IFS='|' read -r id rule; do
        grep -qF "id=\"finding-$id\"" "$dom" || missing="$missing $id"
        grep -qF ">$rule<" "$dom" || missing="$missing $rule"
    done < <(sql "$db" "select id, rule from findings")
    check_eq "$name: every finding (id and rule) is in the rendered page" "" "$missing"
    check_eq "$name: the case has findings" 1 \
        "$(sql "$db" "select count(*) > 0 from findings")"
    check_eq "$name: findings by severity in the summary" \
        "$(sql "$db" "select count(*) from findings where severity='critical'")" \
        "$(sed -n 's/.*<span class="sev sev-critical">critical<\/span><\/a><\/th><td[^>]*>\([0-9]*\)<.*/\1/p' "$dom" | head -n 1)"

    # the timeline: one lifecycle bar per container with a time, histograms, an axis
    check_eq "$name: timeline SVG rendered" 1 "$(grep -c '<svg class="tl"' "$dom")"
    check_eq "$name: one lifecycle bar per container with a time" \
        "$(sql "$db" "select count(*) from containers where coalesce(created, started_at, finished_at) is not null")" \
        "$(grep -o 'class="life"' "$dom" | wc -l)"
    check_eq "$name: removed containers marked on the timeline" \
        "$(sql "$db" "select count(*) from containers where state='removed' and coalesce(created, started_at, finished_at) is not null")" \
        "$(grep -o '<g class="removed"' "$dom" | wc -l)"
    check_eq "$name: log histogram drawn" 1 \
        "$([ "$(grep -o 'class="loghist"' "$dom" | wc -l)" -gt 0 ] && echo 1 || echo 0)"
    check_eq "$name: file-change histogram drawn" 1 \
        "$([ "$(grep -o 'class="filehist"' "$dom" | wc -l)" -gt 0 ] && echo 1 || echo 0)"
    check_eq "$name: time axis has ticks" 1 \
        "$([ "$(grep -o 'class="tick"' "$dom" | wc -l)" -ge 3 ] && echo 1 || echo 0)"

    # removed containers say how they were recovered and how sure husk is
    check_eq "$name: recovered_from and confidence shown for removed containers" \
        "$(sql "$db" "select count(*) from containers where state='removed'")" \
        "$(grep -o '<section class="ctr" id="c[0-9]*"><h3>[^§]*<span class="st st-removed">removed</span> <span class="prov" title="recovered_from">[a-z-]*, confidence [0-9.]*</span>' "$dom" | wc -l)"

    # the screenshot
    check_eq "$name: screenshot is a valid PNG 1280x4000 and not blank" "ok 1280 4000 many" \
        "$(png_check "$png")"
    no_requests "$name" "$html"
    no_requests "$name (rendered)" "$dom"
}

A=node-a-ext4-gpt
report_node $A "$WORK/report-a.db"
dba=$WORK/report-a.db
html=$WORK/report-$A.html
dom=$WORK/report-$A.dom
# node-a: the web container's diff marks the files the findings point at
check_eq "node-a: web shell marked in the diff" 1 \
    "$(grep -c '<tr class="sus"><td>A</td><td class="mono">/srv/www/shell.php</td>' "$dom")"
check_eq "node-a: libmagic type of the dropper shown" 1 \
    "$(grep -A0 '/tmp/.cache/kworkerd</td>' "$dom" | grep -c 'POSIX shell script')"
# bounded logs: web has 119 lines, 10 first and 10 last shown
check_eq "node-a: web's log excerpt is bounded" 1 \
    "$(grep -c '99 lines not shown' "$dom")"
check_eq "node-a: escape's rights: SYS_ADMIN and seccomp unconfined marked" 2 \
    "$(grep -oE '<span class="tag bad">(SYS_ADMIN|unconfined)</span>' "$dom" | sort -u | wc -l)"
check_eq "node-a: the evidence's segment and size" 1 \
    "$(grep -c '<td>314572800</td>' "$dom")"

# the command's options
check_rc "report --help" 0 "$HUSK" report --help
check_eq "report --help names -o and --force" 2 \
    "$("$HUSK" report --help | grep -cE '^  -o, --output|^      --force')"
check_rc "report: refuses to overwrite" 1 "$HUSK" report -q "$dba" -o "$html"
check_eq "report: the refused file is left alone" "$(sha256sum < "$html")" \
    "$("$HUSK" report -q "$dba" -o "$html" 2>/dev/null; sha256sum < "$html")"
check_rc "report --force" 0 "$HUSK" report -q --force "$dba" -o "$html"
check_rc "report without -o" 2 "$HUSK" report "$dba"
check_rc "report without a case" 2 "$HUSK" report -o "$WORK/x.html"
check_rc "report of a missing case" 4 "$HUSK" report "$WORK/nosuch.db" -o "$WORK/x.html"
check_eq "report of a missing case writes nothing" 0 "$(ls "$WORK"/x.html* 2>/dev/null | wc -l)"
check_rc "report --log-lines 0" 2 "$HUSK" report --log-lines 0 "$dba" -o "$WORK/x.html"
check_eq "report -o -: the same page on stdout (but its time)" \
    "$(grep -v 'report written' "$html" | sha256sum)" \
    "$("$HUSK" report -q "$dba" -o - | grep -v 'report written' | sha256sum)"
rm -f "$WORK/small.html"
"$HUSK" report -q --log-lines 2 --max-rows 5 "$dba" -o "$WORK/small.html"
check_eq "report --log-lines 2: web shows 4 of 119 lines" 1 \
    "$(grep -c '115 lines not shown' "$WORK/small.html")"
check_eq "report --max-rows 5: long tables say how many more" 1 \
    "$([ "$(grep -c 'more containers not shown\|more entries not shown' "$WORK/small.html")" -ge 1 ] && echo 1 || echo 0)"

B=node-b-xfs-lvm
report_node $B "$WORK/report-b.db"

# ---------------------------------------------------------------- hostile strings
hdb=$WORK/report-hostile.db
cp "$dba" "$hdb"
web=$(sql "$hdb" "select id from containers where name='web'")
sqlite3 "$hdb" "
UPDATE containers SET name = '<script>alert(1)</script>' WHERE id = '$web';
UPDATE containers SET image_ref = 'sha256:\" onmouseover=\"alert(3)\" x=\"' || image_ref
 WHERE state = 'removed';
UPDATE findings SET evidence = '</td></tr></table><img src=x onerror=alert(2)>' || evidence
 WHERE rule = 'web-shell';
UPDATE files SET path = '/srv/www/\"><svg onload=alert(4)>.php' WHERE path = '/srv/www/shell.php';
UPDATE logs SET message = X'1b5b33316d7265642dff2d3c623e626f6c643c2f623e0d' WHERE container_id = '$web'
 AND seq = (SELECT max(seq) FROM logs WHERE container_id = '$web');
UPDATE case_info SET value = '/evidence/<i>node</i>.raw' WHERE key = 'evidence_path';
UPDATE logs SET time = '9999-12-31T23:59:59.999999999Z' WHERE container_id = '$web' AND seq = 1;
UPDATE containers SET created = '1971-01-01T00:00:00.000000000Z' WHERE name = 'batch';"
hhtml=$WORK/report-hostile.html
hdom=$WORK/report-hostile.dom
hpng=$WORK/report-hostile.png
rm -f "$hhtml" "$hdom" "$hpng"
check_rc "hostile: report" 0 "$HUSK" report -q "$hdb" -o "$hhtml"
render "$hhtml" "$hdom" "$hpng"
check_eq "hostile: rendered" 1 "$(grep -c '<section id="summary">' "$hdom")"
check_eq "hostile: no script element in the rendered page" 0 "$(grep -ci '<script' "$hdom")"
check_eq "hostile: the container's name is shown as text" 1 \
    "$([ "$(grep -c '&lt;script&gt;alert(1)&lt;/script&gt;' "$hdom")" -ge 1 ] && echo 1 || echo 0)"
check_eq "hostile: the name is in the page as often as the real name was" \
    "$(grep -o '>web<' "$dom" | wc -l)" \
    "$(grep -o '>&lt;script&gt;alert(1)&lt;/script&gt;<' "$hdom" | wc -l)"
check_eq "hostile: no img, svg-onload or italic elements injected" 0 \
    "$(grep -Eci '<img|<svg onload|<i>node' "$hdom")"
check_eq "hostile: a quote in an attribute value stays inside it" 1 \
    "$([ "$(grep -c 'title="sha256:&quot; onmouseover=&quot;alert(3)&quot; x=&quot;' "$hdom")" -ge 1 ] && echo 1 || echo 0)"
check_eq "hostile: the finding's markup is text" 1 \
    "$([ "$(grep -c '&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;img src=x onerror=alert(2)&gt;' "$hdom")" -ge 1 ] && echo 1 || echo 0)"
check_eq "hostile: the findings table was not closed early" \
    "$(grep -o '<tr id="finding-' "$dom" | wc -l)" "$(grep -o '<tr id="finding-' "$hdom" | wc -l)"
check_eq "hostile: control characters shown as symbols, invalid UTF-8 as U+FFFD" 1 \
    "$(grep -c "$(printf '\xe2\x90\x9b')\[31mred-$(printf '\xef\xbf\xbd')-&lt;b&gt;bold&lt;/b&gt;$(printf '\xe2\x90\x8d')" "$hdom")"
check_eq "hostile: no raw control characters in the page" 0 \
    "$(LC_ALL=C grep -c "$(printf '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]')" "$hhtml")"
check_eq "hostile: the page is valid UTF-8" 0 \
    "$(python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$hhtml" >/dev/null 2>&1; echo $?)"
check_eq "hostile: a timeline over 8000 years still has a bounded axis" 1 \
    "$(n=$(grep -o 'class="tick"' "$hdom" | wc -l); [ "$n" -ge 2 ] && [ "$n" -le 12 ] && echo 1 || echo 0)"
check_eq "hostile: the timeline still draws every timed container" \
    "$(grep -o 'class="life"' "$dom" | wc -l)" "$(grep -o 'class="life"' "$hdom" | wc -l)"
check_eq "hostile: screenshot is a valid PNG and not blank" "ok 1280 4000 many" \
    "$(png_check "$hpng")"
no_requests "hostile" "$hhtml"
no_requests "hostile (rendered)" "$hdom"
