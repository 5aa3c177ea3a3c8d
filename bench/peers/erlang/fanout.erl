%% Broker fan-out with Erlang/OTP 25 (shared/BENCH.md, project rows): one publisher process
%% sends each of 10,000 messages to 1,000 subscriber processes (the pids in a list, which is
%% what a topic with 1,000 subscribers resolves to; the topic matching of bench/fanout.c has no
%% counterpart here, so this is the floor an Erlang broker would start from); time per
%% delivery. The same flow control as bench/fanout.c: windows of 100 messages, each closed by
%% one acknowledgement per subscriber; every subscriber checks that it got every message, in
%% order.
-module(fanout).
-export([main/0]).

-define(SUBSCRIBERS, 1000).
-define(WINDOW, 100).

main() ->
    O = bench_harness:parse(10000),
    Main = self(),
    Publisher = spawn(fun() -> publisher_idle(Main, []) end),
    Subs = [spawn(fun() -> subscriber_idle(Publisher) end) || _ <- lists:seq(1, ?SUBSCRIBERS)],
    Publisher ! {subscribers, Subs},
    bench_harness:main_loop("fanout", "ns/delivery", O, fun(N) -> run(Publisher, Subs, N) end).

run(Publisher, Subs, N) ->
    [S ! {start, N} || S <- Subs],
    Start = bench_harness:now_ns(),
    Publisher ! {start, N},
    receive {done, End} -> ok end,
    [S ! {check, self()} || S <- Subs],
    Bad = [R || _ <- Subs, R <- [receive {checked, C, Ok} -> {C, Ok} end], R =/= {N, true}],
    case Bad of
        [] -> (End - Start) / (N * ?SUBSCRIBERS);
        [{C, Ok} | _] ->
            bench_harness:fail("fanout (erlang): a subscriber got ~B of ~B, in order: ~p",
                               [C, N, Ok])
    end.

publisher_idle(Main, Subs) ->
    receive
        {subscribers, S} -> publisher_idle(Main, S);
        {start, N} -> publish(Main, Subs, 0, N), publisher_idle(Main, Subs)
    end.

%% Publishes the window from Seq, waits for the acknowledgements, goes on.
publish(Main, _, N, N) -> Main ! {done, bench_harness:now_ns()};
publish(Main, Subs, Seq, N) ->
    End = min(Seq + ?WINDOW, N),
    send_window(Subs, Seq, End),
    wait_acks(?SUBSCRIBERS),
    publish(Main, Subs, End, N).

send_window(_, End, End) -> ok;
send_window(Subs, Seq, End) ->
    Msg = {tick, Seq},
    [S ! Msg || S <- Subs],
    send_window(Subs, Seq + 1, End).

wait_acks(0) -> ok;
wait_acks(K) -> receive ack -> wait_acks(K - 1) end.

subscriber_idle(Publisher) ->
    receive
        {start, N} -> subscriber(Publisher, N, 0, true);
        {check, From} -> From ! {checked, 0, true}, subscriber_idle(Publisher)
    end.

subscriber(Publisher, N, Count, InOrder) ->
    receive
        {tick, Seq} ->
            Count1 = Count + 1,
            case Count1 rem ?WINDOW =:= 0 orelse Count1 =:= N of
                true -> Publisher ! ack;
                false -> ok
            end,
            subscriber(Publisher, N, Count1, InOrder andalso Seq =:= Count);
        {check, From} ->
            From ! {checked, Count, InOrder},
            subscriber_idle(Publisher)
    end.
