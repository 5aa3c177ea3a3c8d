%% Supervisor scale with Erlang/OTP 25 (shared/BENCH.md, project-specific rows): start an OTP
%% supervisor with 100,000 gen_server children, then stop it; ns per child each way (the start
%% as the figure of the result line, the stop in stop_median_ns / stop_min_ns). As in
%% bench/sup_scale.c: one_for_one, permanent workers with the default shutdown (5000 ms), the
%% specs built by init/1, started in order by supervisor:start_link, stopped in reverse order by
%% gen_server:stop. Checked: count_children sees every child active, and every process of the
%% run has gone after the stop.
-module(sup_scale).
-export([main/0, init/1, start_child/0, handle_info/2, handle_call/3, handle_cast/2]).

main() ->
    O = bench_harness:parse(100000),
    put(stop_ns, []),
    Baseline = erlang:system_info(process_count),
    bench_harness:main_loop("sup_scale", "ns/child", O, fun(N) -> run(N, Baseline) end,
                            fun stop_fields/0).

run(N, Baseline) ->
    T0 = bench_harness:now_ns(),
    {ok, Sup} = supervisor:start_link(?MODULE, {sup, N}),
    T1 = bench_harness:now_ns(),
    Active = proplists:get_value(active, supervisor:count_children(Sup)),
    T2 = bench_harness:now_ns(),
    ok = gen_server:stop(Sup),
    T3 = bench_harness:now_ns(),
    case Active of
        N -> ok;
        _ -> bench_harness:fail("sup_scale (erlang): ~B children active, expected ~B", [Active, N])
    end,
    bench_harness:wait_process_count(Baseline),
    put(stop_ns, [(T3 - T2) / N | get(stop_ns)]),
    (T1 - T0) / N.

%% The stop figures of the measured runs (the warm-up's, the first, left out).
stop_fields() ->
    [_WarmUp | Runs] = lists:reverse(get(stop_ns)),
    Sorted = lists:sort(Runs),
    K = length(Sorted),
    Median = case K rem 2 of
                 1 -> lists:nth(K div 2 + 1, Sorted);
                 0 -> (lists:nth(K div 2, Sorted) + lists:nth(K div 2 + 1, Sorted)) / 2
             end,
    io_lib:format(" stop_median_ns=~.1f stop_min_ns=~.1f", [float(Median), float(hd(Sorted))]).

%% The supervisor's init/1 and the children's (gen_servers): one module plays both.
init({sup, N}) ->
    Flags = #{strategy => one_for_one, intensity => 1, period => 5},
    {ok, {Flags, [#{id => I, start => {?MODULE, start_child, []}} || I <- lists:seq(1, N)]}};
init(child) ->
    {ok, nostate}.

start_child() -> gen_server:start_link(?MODULE, child, []).

handle_info(_, State) -> {noreply, State}.
handle_call(_, _, State) -> {reply, ok, State}.
handle_cast(_, State) -> {noreply, State}.
