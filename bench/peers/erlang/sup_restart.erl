%% Restart latency with Erlang/OTP 25 (shared/BENCH.md, project-specific rows): a supervised
%% child fails; how long until its replacement handles its first message. The median over
%% every restart of the run, in ns per restart. As in bench/sup_restart.c: a one_for_one
%% supervisor with one permanent gen_server child; each instance sends itself `up` from init/1;
%% handling it, the instance records the time since its predecessor failed, stamps the time
%% and stops with reason `crash`. The restarts come in rounds of ?ROUND per supervisor
%% (intensity ?ROUND in an hour, never exceeded): OTP scans its list of recent restarts on
%% every restart, and rounds keep that list as short as ours. The logger is off: crash reports
%% would be formatted for every restart, while our side records its events in memory.
%% Checked: every restart measured once, the child running at the end of each round.
-module(sup_restart).
-export([main/0, init/1, start_child/2, handle_info/2, handle_call/3, handle_cast/2]).

-define(ROUND, 100).
%% Slots of the shared atomics: when the last instance failed (0: the start of a round),
%% restarts measured, restarts left in the round, then one latency per restart.
-define(FAILED, 1).
-define(MEASURED, 2).
-define(LEFT, 3).
-define(LATENCY(K), (3 + (K))).

main() ->
    O = bench_harness:parse(100000),
    ok = logger:set_primary_config(level, none),
    bench_harness:main_loop("sup_restart", "ns/restart", O, fun run/1).

run(N) ->
    Shared = atomics:new(?LATENCY(N), [{signed, true}]),
    rounds(Shared, N, 0),
    case atomics:get(Shared, ?MEASURED) of
        N -> ok;
        M -> bench_harness:fail("sup_restart (erlang): ~B restarts measured, expected ~B", [M, N])
    end,
    bench_harness:median([atomics:get(Shared, ?LATENCY(K)) || K <- lists:seq(1, N)]).

rounds(_, N, Done) when Done >= N -> ok;
rounds(Shared, N, Done) ->
    Quota = min(?ROUND, N - Done),
    atomics:put(Shared, ?LEFT, Quota),
    atomics:put(Shared, ?FAILED, 0),
    {ok, Sup} = supervisor:start_link(?MODULE, {sup, Shared, self()}),
    receive round_done -> ok end,
    case proplists:get_value(active, supervisor:count_children(Sup)) of
        1 -> ok;
        A -> bench_harness:fail("sup_restart (erlang): ~p children at the end of a round", [A])
    end,
    ok = gen_server:stop(Sup),
    rounds(Shared, N, Done + Quota).

%% The supervisor's init/1 and the child's (a gen_server): one module plays both.
init({sup, Shared, Main}) ->
    Flags = #{strategy => one_for_one, intensity => ?ROUND, period => 3600},
    Child = #{id => child, start => {?MODULE, start_child, [Shared, Main]}},
    {ok, {Flags, [Child]}};
init({child, Shared, Main}) ->
    self() ! up,
    {ok, {Shared, Main}}.

start_child(Shared, Main) -> gen_server:start_link(?MODULE, {child, Shared, Main}, []).

handle_info(up, {Shared, Main} = State) ->
    case atomics:get(Shared, ?FAILED) of
        0 -> fail(State);
        Failed ->
            Latency = bench_harness:now_ns() - Failed,
            K = atomics:add_get(Shared, ?MEASURED, 1),
            atomics:put(Shared, ?LATENCY(K), Latency),
            case atomics:sub_get(Shared, ?LEFT, 1) of
                0 -> Main ! round_done, {noreply, State};
                _ -> fail(State)
            end
    end.

fail({Shared, _} = State) ->
    atomics:put(Shared, ?FAILED, bench_harness:now_ns()),
    {stop, crash, State}.

handle_call(_, _, State) -> {reply, ok, State}.
handle_cast(_, State) -> {noreply, State}.
