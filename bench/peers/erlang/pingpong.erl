%% PingPong with Erlang/OTP 25 (shared/BENCH.md, row 1): two processes pass one message back
%% and forth, 1,000,000 round trips; time per round trip. Same checks as bench/pingpong.c: the
%% pinger numbers its pings, the ponger echoes the number, the pinger checks order and count.
-module(pingpong).
-export([main/0]).

main() ->
    O = bench_harness:parse(1000000),
    Main = self(),
    Ponger = spawn(fun() -> ponger(0) end),
    Pinger = spawn(fun() -> pinger_idle(Ponger, Main) end),
    bench_harness:main_loop("pingpong", "ns/roundtrip", O, fun(N) -> run(Pinger, Ponger, N) end).

run(Pinger, Ponger, N) ->
    PingsBefore = pings(Ponger),
    Start = bench_harness:now_ns(),
    Pinger ! {start, N},
    receive
        {done, Received, OutOfOrder, End} ->
            Pings = pings(Ponger) - PingsBefore,
            case {Received, Pings, OutOfOrder} of
                {N, N, false} -> (End - Start) / N;
                _ -> bench_harness:fail("pingpong (erlang): wrong result: ~B pings, ~B pongs, "
                                        "out of order: ~p", [Pings, Received, OutOfOrder])
            end
    end.

pings(Ponger) ->
    Ponger ! {pings, self()},
    receive {pings, Count} -> Count end.

ponger(Count) ->
    receive
        {ping, From, Seq} -> From ! {pong, Seq}, ponger(Count + 1);
        {pings, From} -> From ! {pings, Count}, ponger(Count)
    end.

pinger_idle(Ponger, Main) ->
    receive
        {start, N} ->
            Ponger ! {ping, self(), 0},
            pinger(Ponger, Main, N, 0, false)
    end.

pinger(Ponger, Main, N, Received, OutOfOrder) ->
    receive
        {pong, Seq} ->
            OutOfOrder1 = OutOfOrder orelse Seq =/= Received,
            case Received + 1 of
                N ->
                    Main ! {done, N, OutOfOrder1, bench_harness:now_ns()},
                    pinger_idle(Ponger, Main);
                Next ->
                    Ponger ! {ping, self(), Next},
                    pinger(Ponger, Main, N, Next, OutOfOrder1)
            end
    end.
