%% Counting with Erlang/OTP 25 (shared/BENCH.md, row 2): one sender process sends 10,000,000
%% numbered messages to one counter process; time per message. The counter checks that the
%% numbers arrive in order and that none is missing. (The sender needs no "continue" messages
%% as in bench/counting.c: the VM preempts a long loop by itself.)
-module(counting).
-export([main/0]).

main() ->
    O = bench_harness:parse(10000000),
    Main = self(),
    Counter = spawn(fun() -> counter_idle(Main) end),
    Sender = spawn(fun() -> sender_idle(Counter) end),
    bench_harness:main_loop("counting", "ns/msg", O, fun(N) -> run(Sender, N) end).

run(Sender, N) ->
    Start = bench_harness:now_ns(),
    Sender ! {start, N},
    receive
        {done, N, false, End} -> (End - Start) / N;
        {done, Count, OutOfOrder, _} ->
            bench_harness:fail("counting (erlang): wrong result: ~B counted, out of order: ~p",
                               [Count, OutOfOrder])
    end.

sender_idle(Counter) ->
    receive
        {start, N} ->
            Counter ! {start, N},
            send(Counter, 0, N),
            sender_idle(Counter)
    end.

send(_, N, N) -> ok;
send(Counter, Seq, N) -> Counter ! {count, Seq}, send(Counter, Seq + 1, N).

counter_idle(Main) ->
    receive {start, N} -> counter(Main, N, 0, false) end.

counter(Main, N, Count, OutOfOrder) ->
    receive
        {count, Seq} ->
            OutOfOrder1 = OutOfOrder orelse Seq =/= Count,
            case Count + 1 of
                N -> Main ! {done, N, OutOfOrder1, bench_harness:now_ns()}, counter_idle(Main);
                Count1 -> counter(Main, N, Count1, OutOfOrder1)
            end
    end.
