%% ThreadRing with Erlang/OTP 25 (shared/BENCH.md, row 3): 100 processes in a ring pass a
%% countdown token 10,000,000 times; time per hop. As in bench/threadring.c: member 0 gets n,
%% each member passes the value less one, the member that gets 0 ends the run; it must be
%% member n rem 100, and the members' token counts must add up to n + 1, spread evenly.
-module(threadring).
-export([main/0]).

-define(RING_SIZE, 100).

main() ->
    O = bench_harness:parse(10000000),
    Main = self(),
    Ring = [spawn(fun() -> member_init(I, Main) end) || I <- lists:seq(0, ?RING_SIZE - 1)],
    Nexts = tl(Ring) ++ [hd(Ring)],
    [Member ! {next, Next} || {Member, Next} <- lists:zip(Ring, Nexts)],
    bench_harness:main_loop("threadring", "ns/hop", O, fun(N) -> run(Ring, N) end).

run(Ring, N) ->
    Before = counts(Ring),
    Start = bench_harness:now_ns(),
    hd(Ring) ! {token, N},
    receive
        {done, Finisher, End} ->
            Got = [A - B || {A, B} <- lists:zip(counts(Ring), Before)],
            Expected = [case N >= I of true -> (N - I) div ?RING_SIZE + 1; false -> 0 end
                        || I <- lists:seq(0, ?RING_SIZE - 1)],
            case Finisher =:= N rem ?RING_SIZE andalso Got =:= Expected of
                true -> (End - Start) / N;
                false -> bench_harness:fail("threadring (erlang): wrong result: ended at ~B, "
                                            "~B tokens", [Finisher, lists:sum(Got)])
            end
    end.

counts(Ring) ->
    [begin M ! {count, self()}, receive {count, M, C} -> C end end || M <- Ring].

member_init(Index, Main) ->
    receive {next, Next} -> member(Index, Next, Main, 0) end.

member(Index, Next, Main, Tokens) ->
    receive
        {token, 0} ->
            Main ! {done, Index, bench_harness:now_ns()},
            member(Index, Next, Main, Tokens + 1);
        {token, T} ->
            Next ! {token, T - 1},
            member(Index, Next, Main, Tokens + 1);
        {count, From} ->
            From ! {count, self(), Tokens},
            member(Index, Next, Main, Tokens)
    end.
