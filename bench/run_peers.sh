#!/usr/bin/env bash
# The real peer runs (not part of the test suite), one after another, logging to bench/results/.
# usage: nohup bash bench/run_peers.sh [inprocess|recbole-general|recbole-sequential]... &
# XINGQU=auto (or a list of estimator names) adds Xingqu's estimators to every run;
# SEQ_EPOCHS (5) and SEQ_SPLITS ("ml100k beauty") shape the sequential RecBole runs.
set -uo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
PY=.venv/bin/python
OUT=bench/results
mkdir -p "$OUT"
run() {  # name, then compare.py arguments
    local name=$1; shift
    echo "== $(date -u +%FT%TZ) $name: bench/compare.py $*" | tee -a "$OUT/$name.log"
    "$PY" bench/compare.py --quiet --xingqu "${XINGQU:-none}" "$@" >>"$OUT/$name.log" 2>&1
    echo "== $(date -u +%FT%TZ) $name: exit $?" | tee -a "$OUT/$name.log"
}
for group in "${@:-inprocess}"; do
    case "$group" in
    inprocess)
        for split in ml100k beauty sports taobao taobao-buy; do
            run "inprocess-$split" --dataset "$split" --models popularity,transition,als,bpr
        done ;;
    recbole-general)
        run recbole-general-ml100k --dataset ml100k --models recbole-bpr,recbole-lightgcn \
            --epochs 300 --early-stopping --set recbole-bpr.stopping_step=10 \
            --set recbole-lightgcn.stopping_step=10 ;;
    recbole-sequential)
        for split in ${SEQ_SPLITS:-ml100k beauty}; do
            run "recbole-sequential-$split" --dataset "$split" --models recbole-gru4rec,recbole-sasrec \
                --epochs "${SEQ_EPOCHS:-5}"
        done ;;
    *) echo "unknown group $group" >&2; exit 2 ;;
    esac
done
