#!/usr/bin/env bash
# End-to-end test of the container image and the compose projects under deploy/compose:
#
#   deploy/test-compose.sh [--binary PATH] [--seed DIR] [quick] [ha] [multi-host] [none]
#                               (default: the three topologies; `none`: only --seed's project)
#
# Builds the image (deploy/build-image.sh; `--binary` packs an existing porpoise binary, as CI
# does with its debug build), then for each topology, in a copy of its project directory:
# `up -d`, waits until every container is healthy, writes and reads a DFS table through the
# official Python client (deploy/compose-client.py) on data node P1-node1, kills containers and
# checks the cluster still serves (HA topologies: the controllers' leader and agent1 with
# P1-node1; the table is replicated, so every other data node still reads all of it; quick: a
# crash that `restart: always` repairs), upgrades as DolphinDB's tutorial says (IMAGE= in .env to a second
# image, `down && up -d`) and checks the data survived, then tears everything down.
# The three multi-host projects run side by side on this one Docker engine: each has its own
# network, every node advertises this machine's docker0 address, and the ports they publish are
# distinct. `--seed DIR` also runs DolphinDB's own project (ddb_high_3cluster) unchanged but for
# IMAGE= in its .env, and starts its data nodes through the leader as its tutorial does from the
# web console. Uses `docker compose` when present, else `docker-compose` (COMPOSE= overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$(date +%s)

binary=""
seed=""
topologies=()
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --seed) seed=$(cd "$2" && pwd); shift 2 ;;
        quick|ha|multi-host|none) topologies+=("$1"); shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#topologies[@]} -gt 0 ] || topologies=(quick ha multi-host)
[ -z "$seed" ] || topologies+=(seed)
topologies=($(printf '%s\n' "${topologies[@]}" | grep -v -x none || true))
[ ${#topologies[@]} -gt 0 ] || { echo "nothing to test: \`none\` needs --seed DIR" >&2; exit 2; }

if [ -n "${COMPOSE:-}" ]; then
    read -r -a compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    compose=(docker-compose)
fi
IMAGE_A=porpoise:compose-test-a
IMAGE_B=porpoise:compose-test-b
HEALTH_TIMEOUT_S=240
work=$(mktemp -d "${TMPDIR:-/tmp}/porpoise-compose.XXXXXX")

log() { echo "[$(($(date +%s) - started))s] $*"; }
fail() { log "FAIL: $*" >&2; exit 1; }

# Bind-mounted directories fill with files the containers wrote as root.
remove_dir() {
    rm -rf "$1" 2>/dev/null && return
    docker run --rm -v "$1:/d" --entrypoint sh "$IMAGE_A" -c 'rm -rf /d/* /d/.[!.]*' || true
    rm -rf "$1" || true
}

# Projects brought up and not yet torn down (for the exit trap).
up_dirs=()
cleanup() {
    local status=$?
    for d in ${up_dirs[@]+"${up_dirs[@]}"}; do
        if [ $status -ne 0 ]; then
            log "logs of $d:"
            (cd "$d" && "${compose[@]}" ps; "${compose[@]}" logs --tail=30) 2>&1 | sed 's/^/    /' || true
            tail -n 30 "$d"/cluster/*/log/*.log 2>/dev/null | sed 's/^/    /' || true
        fi
        (cd "$d" && "${compose[@]}" down -t 30 >/dev/null 2>&1) || true
    done
    remove_dir "$work"
    docker image rm "$IMAGE_B" "$IMAGE_A" >/dev/null 2>&1 || true
    if [ $status -eq 0 ]; then
        log "test-compose: all passed (${topologies[*]})"
        echo "compose: ${#topologies[@]} passed, 0 failed"
    fi
}
trap cleanup EXIT

client() { python3 "$repo/deploy/compose-client.py" "$@"; }

# A copy of deploy/compose/$1 in the work directory, running $IMAGE_A.
project() {
    local dest=$work/$1
    mkdir -p "$(dirname "$dest")"
    cp -r "$repo/deploy/compose/$1" "$dest"
    find "$dest" -name .gitkeep -delete
    sed -i "s|^IMAGE=.*|IMAGE=$IMAGE_A|" "$dest/.env"
    echo "$dest"
}

up() {
    log "up: $1"
    up_dirs+=("$1")
    if ! (cd "$1" && "${compose[@]}" up -d) >"$work/compose.out" 2>&1; then
        sed 's/^/    /' "$work/compose.out"
        fail "compose up in $1"
    fi
    sed 's/^/    /' "$work/compose.out"
}

down() {
    log "down: $1"
    (cd "$1" && "${compose[@]}" down -t 30) 2>&1 | sed 's/^/    /'
    local rest=()
    for d in "${up_dirs[@]}"; do [ "$d" = "$1" ] || rest+=("$d"); done
    up_dirs=(${rest[@]+"${rest[@]}"})
}

# Waits until every named container is running and healthy.
wait_healthy() {
    local deadline=$(($(date +%s) + HEALTH_TIMEOUT_S)) c state pending
    while true; do
        pending=()
        for c in "$@"; do
            state=$(docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c" 2>/dev/null || echo missing)
            [ "$state" = running/healthy ] || pending+=("$c=$state")
        done
        [ ${#pending[@]} -eq 0 ] && { log "healthy: $*"; return; }
        [ "$(date +%s)" -lt "$deadline" ] || fail "not healthy after ${HEALTH_TIMEOUT_S}s: ${pending[*]}"
        sleep 2
    done
}

# Every container of the project in $1 runs image $2.
assert_image() {
    local c img
    for c in $(cd "$1" && "${compose[@]}" ps -q); do
        img=$(docker inspect -f '{{.Config.Image}}' "$c")
        [ "$img" = "$2" ] || fail "container $c runs $img, expected $2"
    done
    log "every container of $(basename "$1") runs $2"
}

# DolphinDB's upgrade: a new IMAGE in .env, then `down && up -d`, in each project directory.
upgrade() {
    local d
    for d in "$@"; do
        sed -i "s|^IMAGE=.*|IMAGE=$IMAGE_B|" "$d/.env"
        down "$d"
    done
    for d in "$@"; do up "$d"; done
}

# The container of the controllers' leader, as the data node on port $1 knows it.
leader_container() {
    local alias
    alias=$(client leader "$1" | tail -n 1) || fail "no leader reported"
    case "$alias" in controller[123]) echo "ddb_$alias" ;; *) fail "unexpected leader [$alias]" ;; esac
}

# Waits until the data node on port $2 reports a leader other than $1 (a failover happened).
wait_new_leader() {
    local deadline=$(($(date +%s) + HEALTH_TIMEOUT_S)) now
    while true; do
        now=$(leader_container "$2")
        [ "$now" = "$1" ] || { log "new leader: $now"; return; }
        [ "$(date +%s)" -lt "$deadline" ] || fail "the leader is still $1"
        sleep 2
    done
}

# Every data node (ports $2...) reads the same $1 rows: the table is replicated
# (dfsReplicationFactor=2) and every node reaches every chunk.
check_all() {
    local n=$1 port
    shift
    for port in "$@"; do client check "$port" "$n" || fail "data read through port $port"; done
}

# The container's main process dies as in a crash (not `docker kill`, which counts as a stop):
# `restart: always` must bring the container back (its restart count goes up).
crash() {
    local pid before deadline=$(($(date +%s) + HEALTH_TIMEOUT_S))
    pid=$(docker inspect -f '{{.State.Pid}}' "$1")
    before=$(docker inspect -f '{{.RestartCount}}' "$1")
    log "crash: kill -9 of $1's main process ($pid)"
    kill -9 "$pid"
    until [ "$(docker inspect -f '{{.RestartCount}}' "$1")" -gt "$before" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "$1 was not restarted"
        sleep 1
    done
    log "$1 restarted by its restart policy"
}

test_quick() {
    local d all=(ddb_controller ddb_agent1)
    d=$(project quick)
    up "$d"
    wait_healthy "${all[@]}"
    client online 8711 3 || fail "quick: cluster view"
    client write 8711 0 1000 || fail "quick: write"
    crash ddb_agent1
    wait_healthy "${all[@]}"
    client check 8711 1000 || fail "quick: data after the agent's crash"
    upgrade "$d"
    wait_healthy "${all[@]}"
    assert_image "$d" "$IMAGE_B"
    client online 8711 3 || fail "quick: cluster view after the upgrade"
    client check 8711 1000 || fail "quick: data after the upgrade"
    client write 8711 1000 500 || fail "quick: write after the upgrade"
    down "$d"
}

# The HA part shared by the single-host and multi-host projects: write through P1-node1, read
# through every data node, kill the leader and agent1 (with P1-node1, the node written through),
# read and write through the others, bring them back, then upgrade ($@: project directories).
ha_scenario() {
    local all=(ddb_controller1 ddb_controller2 ddb_controller3 ddb_agent1 ddb_agent2 ddb_agent3)
    local lead victims
    wait_healthy "${all[@]}"
    client online 8711 9 || fail "cluster view"
    client write 8711 0 1000 || fail "write"
    check_all 1000 8811 8911
    client complete 8811 || fail "chunk status"
    lead=$(leader_container 8811)
    victims=("$lead" ddb_agent1)
    log "killing ${victims[*]} (the leader is $lead; P1-node1 goes with agent1)"
    docker kill "${victims[@]}" >/dev/null
    check_all 1000 8811 8911
    client write 8811 1000 500 || fail "write with the leader and P1-node1 down"
    check_all 1500 8911
    wait_new_leader "$lead" 8811
    docker start "${victims[@]}" >/dev/null
    wait_healthy "${all[@]}"
    check_all 1500 8711
    client complete 8811 || fail "chunk status after P1-node1 came back"
    upgrade "$@"
    wait_healthy "${all[@]}"
    local d
    for d in "$@"; do assert_image "$d" "$IMAGE_B"; done
    client online 8711 9 || fail "cluster view after the upgrade"
    check_all 1500 8711 8811 8911
}

test_ha() {
    local d
    d=$(project ha)
    up "$d"
    ha_scenario "$d"
    down "$d"
}

test_multi_host() {
    local host_ip i d dirs=()
    # This machine's address on docker0: every container reaches the ports published here.
    host_ip=${HOST_IP:-$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n 1)}
    [ -n "$host_ip" ] || fail "no docker0 address; set HOST_IP to an address of this machine"
    for i in 1 2 3; do
        d=$(project "multi-host/host$i")
        # As the tutorial says: the hosts' addresses go into the cfg files. Here all three
        # "hosts" are this machine, so replicas may share it (reliability level 0).
        sed -i "s/10\.0\.0\.8[123]/$host_ip/g; s/^dfsReplicaReliabilityLevel=.*/dfsReplicaReliabilityLevel=0/" "$d"/cfg/*
        sed -i "s/^NETWORK=.*/NETWORK=dev_ddb_host$i/" "$d/.env"
        dirs+=("$d")
    done
    log "multi-host: three host projects on this engine, hosts at $host_ip"
    for d in "${dirs[@]}"; do up "$d"; done
    ha_scenario "${dirs[@]}"
    for d in "${dirs[@]}"; do down "$d"; done
}

# DolphinDB's project, unchanged but for IMAGE= (and ulimits where this engine cannot raise them).
test_seed() {
    local d=$work/seed files=(-f docker-compose.yml) lead port
    cp -r "$seed" "$d"
    chmod -R u+w "$d"
    sed -i "s|^IMAGE=.*|IMAGE=$IMAGE_A|" "$d/.env"
    mkdir -p "$d"/cluster/{controller,agent}/{data,log}
    if ! docker run --rm --ulimit memlock=-1:-1 --ulimit nofile=65536:65536 --entrypoint true "$IMAGE_A" >/dev/null 2>&1; then
        log "this engine may not raise memlock/nofile as the seed asks: lowering them in an override file"
        local memlock nofile c
        memlock=$(ulimit -H -l)
        [ "$memlock" = unlimited ] && memlock=-1 || memlock=$((memlock * 1024))
        nofile=$(ulimit -H -n)
        printf 'version: "3.9"\nservices:\n' >"$work/seed-ulimits.yml"
        for c in ddb_controller1 ddb_controller2 ddb_controller3 ddb_agent1 ddb_agent2 ddb_agent3; do
            printf '  %s:\n    ulimits: {memlock: %s, nofile: %s}\n' "$c" "$memlock" "$nofile" >>"$work/seed-ulimits.yml"
        done
        files+=(-f "$work/seed-ulimits.yml")
    fi
    log "up: $d (DolphinDB's project)"
    up_dirs+=("$d")
    (cd "$d" && "${compose[@]}" "${files[@]}" up -d) 2>&1 | sed 's/^/    /'
    lead=$(client master 8901) || fail "seed: no controller answers"
    port=$((8900 + ${lead#controller}))
    client start "$port" P1-node1 P2-node1 P3-node1 || fail "seed: startDataNode on $lead"
    client online 8711 9 || fail "seed: cluster view"
    client write 8711 0 1000 || fail "seed: write"
    check_all 1000 8811 8911
    grep -q "dolphindb.lic found: porpoise needs no licence" "$d/cluster/controller/log/controller1.log" ||
        fail "seed: the mounted dolphindb.lic was not acknowledged in controller1.log"
    log "the seed's (empty) dolphindb.lic was accepted and ignored"
    log "down: $d"
    (cd "$d" && "${compose[@]}" "${files[@]}" down -t 30) 2>&1 | sed 's/^/    /'
    local rest=() u
    for u in "${up_dirs[@]}"; do [ "$u" = "$d" ] || rest+=("$u"); done
    up_dirs=(${rest[@]+"${rest[@]}"})
}

log "== image"
build_args=(--tag "$IMAGE_A")
[ -z "$binary" ] || build_args+=(--binary "$binary")
deploy/build-image.sh "${build_args[@]}" 2>&1 | grep -v -i -E 'legacy builder|buildx|docs.docker.com' | sed 's/^/    /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "image build"
# The upgrade's "new version": another image (its own id) made from the first, no pull.
printf 'FROM %s\nLABEL porpoise.compose-test=upgrade\n' "$IMAGE_A" |
    docker build -q -t "$IMAGE_B" - >/dev/null 2>&1 || fail "building $IMAGE_B"
log "compose: ${compose[*]} ($("${compose[@]}" version --short 2>/dev/null || echo '?'))"

for t in "${topologies[@]}"; do
    log "== $t"
    case "$t" in
        quick) test_quick ;;
        ha) test_ha ;;
        multi-host) test_multi_host ;;
        seed) test_seed ;;
    esac
done
