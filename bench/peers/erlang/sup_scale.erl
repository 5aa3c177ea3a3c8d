%% Supervisor scale with Erlang/OTP 25 (shared/BENCH.md, project-specific rows): start an OTP
%% supervisor with 100,000 gen_server children, then stop it, in ns per child each way; then
%% the same with simple_one_for_one. As in bench/sup_scale.c, the one_for_one start is the
%% figure of the result line, the others extra fields (stop_, simple_start_, simple_stop_
%% median_ns / min_ns). one_for_one: permanent workers with the default shutdown (5000 ms),
%% the specs built by init/1, started in order by supervisor:start_link, stopped in reverse
%% order by gen_server:stop. simple_one_for_one: n supervisor:start_child calls (OTP has no
%% batch start; ours starts them in one request), then gen_server:stop. Checked:
%% count_children sees every child active, and every process of the run has gone after the
%% stop.
-module(sup_scale).
-export([main/0, init/1, start_child/0, handle_info/2, handle_call/3, handle_cast/2]).

main() ->
    O = bench_harness:parse(100000),
    [put(Key, []) || Key <- [stop, simple_start, simple_stop]],
    Baseline = erlang:system_info(process_count),
    bench_harness:main_loop("sup_scale", "ns/child", O, fun(N) -> run(N, Baseline) end,
                            fun extra_fields/0).

run(N, Baseline) ->
    T0 = bench_harness:now_ns(),
    {ok, Sup} = supervisor:start_link(?MODULE, {sup, N}),
    T1 = bench_harness:now_ns(),
    check(Sup, N),
    T2 = bench_harness:now_ns(),
    ok = gen_server:stop(Sup),
    T3 = bench_harness:now_ns(),
    bench_harness:wait_process_count(Baseline),
    record(stop, T3 - T2, N),
    {ok, Simple} = supervisor:start_link(?MODULE, simple),
    T4 = bench_harness:now_ns(),
    start_instances(Simple, N),
    T5 = bench_harness:now_ns(),
    check(Simple, N),
    T6 = bench_harness:now_ns(),
    ok = gen_server:stop(Simple),
    T7 = bench_harness:now_ns(),
    bench_harness:wait_process_count(Baseline),
    record(simple_start, T5 - T4, N),
    record(simple_stop, T7 - T6, N),
    (T1 - T0) / N.

check(Sup, N) ->
    case proplists:get_value(active, supervisor:count_children(Sup)) of
        N -> ok;
        A -> bench_harness:fail("sup_scale (erlang): ~B children active, expected ~B", [A, N])
    end.

start_instances(_, 0) -> ok;
start_instances(Sup, K) ->
    {ok, _} = supervisor:start_child(Sup, []),
    start_instances(Sup, K - 1).

record(Key, Ns, N) -> put(Key, [Ns / N | get(Key)]).

%% The extra figures of the measured runs (the warm-up's, the first, left out).
extra_fields() ->
    lists:flatten([fields(Key) || Key <- [stop, simple_start, simple_stop]]).

fields(Key) ->
    [_WarmUp | Runs] = lists:reverse(get(Key)),
    io_lib:format(" ~s_median_ns=~.1f ~s_min_ns=~.1f",
                  [Key, float(bench_harness:median(Runs)), Key, float(lists:min(Runs))]).

%% The supervisors' init/1 and the children's (gen_servers): one module plays both.
init({sup, N}) ->
    Flags = #{strategy => one_for_one, intensity => 1, period => 5},
    {ok, {Flags, [#{id => I, start => {?MODULE, start_child, []}} || I <- lists:seq(1, N)]}};
init(simple) ->
    Flags = #{strategy => simple_one_for_one, intensity => 1, period => 5},
    {ok, {Flags, [#{id => instance, start => {?MODULE, start_child, []}}]}};
init(child) ->
    {ok, nostate}.

start_child() -> gen_server:start_link(?MODULE, child, []).

handle_info(_, State) -> {noreply, State}.
handle_call(_, _, State) -> {reply, ok, State}.
handle_cast(_, State) -> {noreply, State}.
