#!/bin/bash
# serve_bench.sh — `clouddir serve` over HTTP: requests per second from wrk (Debian's wrk,
# keep-alive connections, signature checking off), beside OpenLDAP slapd's base lookups over
# loopback (about 10k/s on this kind of machine; the target is 5x that for
# GetObjectInformation).  Prints:
#   bench serve_<name> <req/s> req/s  p50=<ms> p99=<ms> x_slapd=<ratio>
#
#   spec/bench/serve_bench.sh [BIN]
#
# Environment: SERVE_BENCH_OBJECTS (objects under /objs, default 1000), SERVE_BENCH_SECONDS
# (per figure, default 5), SERVE_BENCH_CONNECTIONS (default 32), SERVE_BENCH_THREADS (wrk
# threads, default 2), SERVE_BENCH_WORKERS (server processes, default: the server's own).
set -euo pipefail

BIN=${1:-${BUILD:-build}/bin/clouddir}
OBJECTS=${SERVE_BENCH_OBJECTS:-1000}
SECONDS_EACH=${SERVE_BENCH_SECONDS:-5}
CONNS=${SERVE_BENCH_CONNECTIONS:-32}
THREADS=${SERVE_BENCH_THREADS:-2}
SLAPD_BASE_LOOKUPS=10000
here=$(cd "$(dirname "$0")" && pwd)

for tool in wrk curl jq; do
    if ! command -v $tool >/dev/null; then
        echo "bench serve skipped: $tool is missing (apt-get install $tool)"
        exit 0
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/clouddir-serve-bench.XXXXXX")
server=
cleanup() {
    [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

workers=()
[ -n "${SERVE_BENCH_WORKERS:-}" ] && workers=(--workers "$SERVE_BENCH_WORKERS")
"$BIN" serve --listen 127.0.0.1:0 "${workers[@]}" --limits none "$tmp/store" \
    >"$tmp/out" 2>"$tmp/err" &
server=$!
url=
for _ in $(seq 200); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/out" 2>/dev/null | head -1 || true)
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.05
done
if [ -z "$url" ]; then
    echo "bench serve skipped: the server did not start: $(cat "$tmp/err")"
    exit 0
fi
P=/amazonclouddirectory/2017-01-11

# call METHOD PATH BODY [PARTITION]: the response body; fails on an HTTP error.
call() {
    local h=()
    [ -n "${4:-}" ] && h=(-H "x-amz-data-partition: $4")
    curl -sS --fail-with-body -X "$1" "$url$P$2" -H 'Content-Type: application/json' \
        "${h[@]}" --data-binary "$3"
}

# ---- a directory with OBJECTS leaf objects under /objs
dev=$(call PUT /schema/create '{"Name":"bench"}' | jq -r .SchemaArn)
call PUT /facet/create '{"Name":"Item","ObjectType":"LEAF_NODE","Attributes":[
    {"Name":"name","AttributeDefinition":{"Type":"STRING"},"RequiredBehavior":"NOT_REQUIRED"},
    {"Name":"size","AttributeDefinition":{"Type":"NUMBER"},"RequiredBehavior":"NOT_REQUIRED"}]}' \
    "$dev" >/dev/null
call PUT /facet/create '{"Name":"Folder","ObjectType":"NODE"}' "$dev" >/dev/null
pub=$(call PUT /schema/publish '{"Version":"1"}' "$dev" | jq -r .PublishedSchemaArn)
dir=$(call PUT /directory/create "{\"Name\":\"bench\",\"SchemaArn\":\"$pub\"}" "$pub")
dir_arn=$(jq -r .DirectoryArn <<<"$dir")
applied=$(jq -r .AppliedSchemaArn <<<"$dir")
call PUT /object "{\"SchemaFacets\":[{\"SchemaArn\":\"$applied\",\"FacetName\":\"Folder\"}],
    \"ParentReference\":{\"Selector\":\"/\"},\"LinkName\":\"objs\"}" "$dir_arn" >/dev/null
for ((first = 0; first < OBJECTS; first += 10)); do
    ops=
    for ((i = first; i < first + 10 && i < OBJECTS; i++)); do
        ops+="${ops:+,}{\"CreateObject\":{\"SchemaFacet\":[{\"SchemaArn\":\"$applied\",\"FacetName\":\"Item\"}],
            \"ObjectAttributeList\":[{\"Key\":{\"SchemaArn\":\"$applied\",\"FacetName\":\"Item\",\"Name\":\"name\"},
            \"Value\":{\"StringValue\":\"item $i\"}}],\"ParentReference\":{\"Selector\":\"/objs\"},\"LinkName\":\"o$i\"}}"
    done
    call PUT /batchwrite "{\"Operations\":[$ops]}" "$dir_arn" >/dev/null
done

# The identifiers, for random $id lookups (ListObjectChildren's pages, 1000 at a time).
token=
: >"$tmp/ids"
while :; do
    body="{\"ObjectReference\":{\"Selector\":\"/objs\"},\"MaxResults\":1000${token:+,\"NextToken\":\"$token\"}}"
    page=$(call POST /object/children "$body" "$dir_arn")
    jq -r '.Children[]' <<<"$page" >>"$tmp/ids"
    token=$(jq -r '.NextToken // empty' <<<"$page")
    [ -z "$token" ] && break
done
count=$(wc -l <"$tmp/ids")
if [ "$count" -ne "$OBJECTS" ]; then
    echo "bench serve skipped: listed $count objects, expected $OBJECTS"
    exit 0
fi

# ---- wrk scripts: one request shape each, bodies drawn at random from the identifiers
{
    echo "ids = {"
    sed 's/.*/"&",/' "$tmp/ids"
    echo "}"
    cat <<EOF
partition = "$dir_arn"
applied = "$applied"
EOF
} >"$tmp/common.lua"

cat >"$tmp/get_object_information.lua" <<'EOF'
dofile(os.getenv("SERVE_BENCH_COMMON"))
wrk.method = "POST"
wrk.path = "/amazonclouddirectory/2017-01-11/object/information"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-amz-data-partition"] = partition
math.randomseed(os.time())
request = function()
    local id = ids[math.random(#ids)]
    return wrk.format(nil, nil, nil, '{"ObjectReference":{"Selector":"$' .. id .. '"}}')
end
EOF

cat >"$tmp/list_object_children.lua" <<'EOF'
dofile(os.getenv("SERVE_BENCH_COMMON"))
wrk.method = "POST"
wrk.path = "/amazonclouddirectory/2017-01-11/object/children"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-amz-data-partition"] = partition
wrk.body = '{"ObjectReference":{"Selector":"/objs"},"MaxResults":30}'
EOF

# 20 UpdateObjectAttributes on 20 random objects, durable (one commit per request).
cat >"$tmp/batch_write_20.lua" <<'EOF'
dofile(os.getenv("SERVE_BENCH_COMMON"))
wrk.method = "PUT"
wrk.path = "/amazonclouddirectory/2017-01-11/batchwrite"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-amz-data-partition"] = partition
math.randomseed(os.time())
local n = 0
request = function()
    local ops = {}
    n = n + 1
    for i = 1, 20 do
        local id = ids[math.random(#ids)]
        ops[i] = '{"UpdateObjectAttributes":{"ObjectReference":{"Selector":"$' .. id ..
            '"},"AttributeUpdates":[{"ObjectAttributeKey":{"SchemaArn":"' .. applied ..
            '","FacetName":"Item","Name":"size"},"ObjectAttributeAction":{' ..
            '"ObjectAttributeActionType":"CREATE_OR_UPDATE","ObjectAttributeUpdateValue":' ..
            '{"NumberValue":"' .. n .. '"}}}]}}'
    end
    return wrk.format(nil, nil, nil, '{"Operations":[' .. table.concat(ops, ",") .. ']}')
end
EOF

# Non-2xx answers would make a fast figure meaningless: wrk reports them; so do we.
summary='done = function(summary, latency, requests)
    io.write(string.format("wrkresult %d %.6f %d %d %.3f %.3f\n", summary.requests,
        summary.duration / 1e6, summary.errors.status, summary.errors.connect +
        summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end'
for s in get_object_information list_object_children batch_write_20; do
    printf '%s\n' "$summary" >>"$tmp/$s.lua"
done

# Check each request shape once before timing it.
one() { # method path body
    curl -sS -o "$tmp/one" -w '%{http_code}' -X "$1" "$url$2" -H "x-amz-data-partition: $dir_arn" \
        --data-binary "$3"
}
first_id=$(head -1 "$tmp/ids")
code=$(one POST $P/object/information "{\"ObjectReference\":{\"Selector\":\"\$$first_id\"}}")
[ "$code" = 200 ] || { echo "bench serve skipped: GetObjectInformation answered $code: $(cat "$tmp/one")"; exit 0; }

echo "# clouddir serve: $OBJECTS objects, wrk -t$THREADS -c$CONNS -d${SECONDS_EACH}s, keep-alive," \
     "no signature checking, $(nproc) cores shared by wrk and the server;" \
     "slapd reference: ${SLAPD_BASE_LOOKUPS}/s base lookups over loopback"
for s in get_object_information list_object_children batch_write_20; do
    line=$(SERVE_BENCH_COMMON="$tmp/common.lua" wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_EACH}s" \
               -s "$tmp/$s.lua" "$url" | grep '^wrkresult' || true)
    if [ -z "$line" ]; then
        echo "bench serve_$s skipped: wrk printed no result"
        continue
    fi
    read -r _ reqs secs bad_status bad_socket p50 p99 <<<"$line"
    awk -v name="serve_$s" -v reqs="$reqs" -v secs="$secs" -v bad="$bad_status" \
        -v sock="$bad_socket" -v p50="$p50" -v p99="$p99" -v slapd="$SLAPD_BASE_LOOKUPS" 'BEGIN {
        rate = reqs / secs
        extra = (bad + sock > 0) ? sprintf(" ERRORS=%d non-2xx, %d socket", bad, sock) : ""
        if (name ~ /batch_write/)   # writes: slapd base lookups are no yardstick
            printf "bench %s %.0f req/s p50=%.2fms p99=%.2fms objects_updated=%.0f/s durable%s\n", \
                name, rate, p50, p99, 20 * rate, extra
        else
            printf "bench %s %.0f req/s p50=%.2fms p99=%.2fms x_slapd=%.1f%s\n", name, rate, p50,
                p99, rate / slapd, extra
    }'
    if [ "$s" = get_object_information ]; then
        awk -v line="$line" -v slapd="$SLAPD_BASE_LOOKUPS" 'BEGIN {
            split(line, f, " "); rate = f[2] / f[3]
            printf "target %-46s %6.1fk  (limit %dk)  %s\n", "serve GetObjectInformation >= 5x slapd", \
                rate / 1000, 5 * slapd / 1000, (rate >= 5 * slapd ? "PASS" : "MISS")
        }'
    fi
done
