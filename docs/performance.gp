# Plots of bench_report's output:
#   ./build/bench/bench_report --scaling --out docs/perf
#   gnuplot -e "dir='docs/perf'" docs/performance.gp
# (threads.png draws one matrix-product backend: -e "backend='dnnl-f32'"; default openblas)
# writes DIR/threads.png (time per meta-iteration vs threads) and DIR/scaling.png (time per
# meta-iteration vs tasks, episodes, horizon and width).
if (!exists("dir")) dir = 'docs/perf'
if (!exists("backend")) backend = 'openblas'
# threads.csv's rows of that backend alone (a line is broken by the rows it skips)
# (files from before the backends, without that column, are drawn whole)
threads = '< awk -F, ''NR == 1 { old = $3 != "backend" } NR == 1 || old || $3 == "'.backend.'"'' '.dir.'/threads.csv'
set datafile separator ","
set key autotitle columnhead
set terminal pngcairo size 900,520 font ',11'
set grid
set key top right noenhanced

set output dir.'/threads.png'
set title 'one meta-iteration at the paper sizes (second order, 40 x 20 x 200), matmul '.backend noenhanced
set xlabel 'threads'
set ylabel 'seconds'
set xtics 1
set logscale y
plot for [e in "cheetah-vel ant-vel"] threads \
       using 2:(strcol(1) eq e ? column("iteration_s") : 1/0) with linespoints lw 2 pt 7 title e.' iteration', \
     for [e in "cheetah-vel ant-vel"] threads \
       using 2:(strcol(1) eq e ? column("sample_s") : 1/0) with linespoints lw 1 dt 2 pt 6 title e.' sampling', \
     for [e in "cheetah-vel ant-vel"] threads \
       using 2:(strcol(1) eq e ? column("learner_s") : 1/0) with linespoints lw 1 dt 3 pt 4 title e.' learner'
unset logscale y

set output dir.'/scaling.png'
set title 'cheetah-vel: one meta-iteration vs size (the others at the paper sizes)' noenhanced
set xlabel 'size relative to the paper''s (tasks 40, episodes 20, horizon 200, width 100)'
set ylabel 'seconds'
set logscale xy 2
set xtics ('1/4' 0.25, '1/2' 0.5, '1' 1, '2' 2)
set key top left
base(a) = a eq 'tasks' ? 40 : a eq 'episodes' ? 20 : a eq 'horizon' ? 200 : 100
plot for [a in "tasks episodes horizon width"] dir.'/scaling.csv' \
       using (strcol(1) eq a ? $2 / base(a) : 1/0):3 with linespoints lw 2 pt 7 title a
