%% Skynet with Erlang/OTP 25 (shared/BENCH.md, row 6): a tree of processes with fan-out 10 and
%% 1,000,000 leaves; each leaf sends its number to its parent, each parent sums its ten
%% children's sums and sends the sum up, the root must get 499,999,500,000. Time per tree in ns
%% (the table shows seconds), and the peak RSS of the VM (VmHWM). A node spawns its ten
%% children when it starts and exits once it has sent its sum up; every process of the tree
%% must have gone before the next run. Run with +P 2000000.
-module(skynet).
-export([main/0]).

main() ->
    O = #{n := N} = bench_harness:parse(1000000),
    is_power_of_ten(N) orelse
        bench_harness:fail("skynet (erlang): --n must be a power of 10, at least 10", []),
    Baseline = erlang:system_info(process_count),
    bench_harness:main_loop("skynet", "ns/tree", O, fun(Leaves) -> run(Baseline, Leaves) end,
                            fun() -> " peak_rss_kb=" ++
                                         integer_to_list(bench_harness:peak_rss_kb()) end).

is_power_of_ten(10) -> true;
is_power_of_ten(N) when N > 10, N rem 10 =:= 0 -> is_power_of_ten(N div 10);
is_power_of_ten(_) -> false.

run(Baseline, Leaves) ->
    Main = self(),
    Start = bench_harness:now_ns(),
    spawn(fun() -> node(Main, 0, Leaves) end),
    receive {sum, Sum} -> ok end,
    End = bench_harness:now_ns(),
    Sum =:= Leaves * (Leaves - 1) div 2 orelse
        bench_harness:fail("skynet (erlang): wrong result: sum ~B", [Sum]),
    bench_harness:wait_process_count(Baseline),
    End - Start.

node(Parent, First, 1) ->
    Parent ! {sum, First};
node(Parent, First, Count) ->
    Self = self(),
    Step = Count div 10,
    [spawn(fun() -> node(Self, First + I * Step, Step) end) || I <- lists:seq(0, 9)],
    Parent ! {sum, collect(10, 0)}.

collect(0, Sum) -> Sum;
collect(Pending, Sum) -> receive {sum, X} -> collect(Pending - 1, Sum + X) end.
