%% Fork-join create with Erlang/OTP 25 (shared/BENCH.md, row 5): spawn 1,000,000 processes,
%% each handles one message and exits; time per process, and the peak RSS of the VM (VmHWM).
%% As in bench/forkjoin.c: a driver process spawns the children and sends each its number; a
%% child adds it to a shared sum (atomics) and exits; the child that brings the shared count
%% to n ends the run. Checked: count, sum, and that every child has gone before the next run.
%% Run with +P 2000000 (the default process limit is 262,144).
-module(forkjoin).
-export([main/0]).

main() ->
    O = bench_harness:parse(1000000),
    Main = self(),
    Driver = spawn(fun() -> driver() end),
    Baseline = erlang:system_info(process_count),
    bench_harness:main_loop("forkjoin", "ns/actor", O,
                            fun(N) -> run(Driver, Main, Baseline, N) end,
                            fun() -> " peak_rss_kb=" ++
                                         integer_to_list(bench_harness:peak_rss_kb()) end).

run(Driver, Main, Baseline, N) ->
    Shared = atomics:new(2, [{signed, false}]), % 1: handled, 2: sum
    Start = bench_harness:now_ns(),
    Driver ! {start, N, Shared, Main},
    receive {done, End} -> ok end,
    Handled = atomics:get(Shared, 1),
    Sum = atomics:get(Shared, 2),
    case {Handled, Sum} =:= {N, N * (N - 1) div 2} of
        true -> ok;
        false -> bench_harness:fail("forkjoin (erlang): wrong result: ~B handled, sum ~B",
                                    [Handled, Sum])
    end,
    bench_harness:wait_process_count(Baseline),
    (End - Start) / N.

driver() ->
    receive
        {start, N, Shared, Main} ->
            spawn_children(0, N, Shared, Main),
            driver()
    end.

spawn_children(N, N, _, _) -> ok;
spawn_children(I, N, Shared, Main) ->
    Child = spawn(fun() -> child(N, Shared, Main) end),
    Child ! {work, I},
    spawn_children(I + 1, N, Shared, Main).

child(N, Shared, Main) ->
    receive
        {work, I} ->
            atomics:add(Shared, 2, I),
            case atomics:add_get(Shared, 1, 1) of
                N -> Main ! {done, bench_harness:now_ns()};
                _ -> ok
            end
    end.
