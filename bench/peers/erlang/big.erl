%% Big with Erlang/OTP 25 (shared/BENCH.md, row 4): 100 processes, each pinging random peers
%% (never itself) one ping at a time and answering every ping it gets, 10,000,000 messages in
%% all; time per message. As in bench/big.c: n / 200 pings per process, the run ends when every
%% process has had its last pong; each must get exactly its pongs and the pings answered must
%% add up to the pings sent. The random numbers come from a 32-bit xorshift, which stays a
%% small integer.
-module(big).
-export([main/0]).

-define(ACTORS, 100).

main() ->
    O = #{n := N} = bench_harness:parse(10000000),
    N rem (2 * ?ACTORS) =:= 0 orelse
        bench_harness:fail("big (erlang): --n must be a multiple of ~B", [2 * ?ACTORS]),
    Main = self(),
    Peers = [spawn(fun() -> peer_init(I, Main) end) || I <- lists:seq(0, ?ACTORS - 1)],
    Tuple = list_to_tuple(Peers),
    [P ! {peers, Tuple} || P <- Peers],
    bench_harness:main_loop("big", "ns/msg", O, fun(M) -> run(Peers, M) end).

run(Peers, Messages) ->
    Quota = Messages div (2 * ?ACTORS),
    Before = lists:sum(answered(Peers)),
    Start = bench_harness:now_ns(),
    [P ! {start, Quota} || P <- Peers],
    Pongs = [receive {finished, P, Count} -> Count end || P <- Peers],
    End = bench_harness:now_ns(),
    Answered = lists:sum(answered(Peers)) - Before,
    case Answered =:= Quota * ?ACTORS andalso lists:all(fun(C) -> C =:= Quota end, Pongs) of
        true -> (End - Start) / Messages;
        false -> bench_harness:fail("big (erlang): wrong result: ~B pings answered", [Answered])
    end.

answered(Peers) ->
    [begin P ! {answered, self()}, receive {answered, P, C} -> C end end || P <- Peers].

peer_init(Index, Main) ->
    receive
        {peers, Tuple} ->
            peer(#{index => Index, main => Main, peers => Tuple, rng => 2654435769 + Index,
                   quota => 0, pongs => 0, answered => 0})
    end.

peer(S = #{answered := Answered, pongs := Pongs, quota := Quota}) ->
    receive
        {start, Q} -> peer(ping_someone(S#{quota := Q, pongs := 0}));
        {ping, From} -> From ! pong, peer(S#{answered := Answered + 1});
        pong when Pongs + 1 < Quota -> peer(ping_someone(S#{pongs := Pongs + 1}));
        pong -> maps:get(main, S) ! {finished, self(), Pongs + 1}, peer(S#{pongs := Pongs + 1});
        {answered, From} -> From ! {answered, self(), Answered}, peer(S)
    end.

ping_someone(S = #{rng := X0, index := Index, peers := Peers}) ->
    X1 = X0 bxor ((X0 bsl 13) band 16#FFFFFFFF),
    X2 = X1 bxor (X1 bsr 17),
    X3 = X2 bxor ((X2 bsl 5) band 16#FFFFFFFF),
    To0 = X3 rem (?ACTORS - 1),
    To = case To0 >= Index of true -> To0 + 1; false -> To0 end,
    element(To + 1, Peers) ! {ping, self()},
    S#{rng := X3}.
