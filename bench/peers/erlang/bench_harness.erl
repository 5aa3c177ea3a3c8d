%% The Erlang/OTP 25 side of the benchmark suite: the same command line (--workers, --runs,
%% --n), run loop (one warm-up, then the measured runs) and result line as bench/harness.h,
%% so that scripts/bench.sh reads every implementation with one parser:
%%
%%   pingpong workers=2 runs=5 n=1000000 median_ns=541.0 min_ns=530.2 unit=ns/roundtrip
%%
%% The benchmarks are compiled with erlc and run as
%%   erl -noshell +S W:W [+P 2000000] -pa DIR -run MODULE main -extra --workers W --runs R --n N
%% (-extra, because erl takes arguments that start with "-" for its own). The scheduler count
%% comes from +S; parse/1 checks that it matches --workers.
-module(bench_harness).
-export([parse/1, parse/2, main_loop/4, main_loop/5, fail/2, now_ns/0, peak_rss_kb/0,
         wait_process_count/1, median/1]).

%% Returns #{workers, runs, n} from the arguments after -extra; halts with status 2 on a bad
%% argument.
parse(DefaultN) -> parse(init:get_plain_arguments(), DefaultN).

parse(Args, DefaultN) ->
    O = parse(Args, #{workers => 2, runs => 5, n => DefaultN}, DefaultN),
    case erlang:system_info(schedulers_online) of
        W when W =:= map_get(workers, O) -> O;
        W -> fail("~B schedulers online, --workers ~B: start erl with +S ~B:~B",
                  [W, map_get(workers, O), map_get(workers, O), map_get(workers, O)])
    end.

parse([], O, _) -> O;
parse(["--workers", V | Rest], O, D) -> parse(Rest, O#{workers := number(V, 1, 256, D)}, D);
parse(["--runs", V | Rest], O, D) -> parse(Rest, O#{runs := number(V, 1, 1000, D)}, D);
parse(["--n", V | Rest], O, D) -> parse(Rest, O#{n := number(V, 1, 1 bsl 62, D)}, D);
parse(_, _, D) -> usage(D).

number(Text, Min, Max, D) ->
    try list_to_integer(Text) of
        X when X >= Min, X =< Max -> X;
        _ -> usage(D)
    catch error:badarg -> usage(D)
    end.

usage(D) ->
    io:format(standard_error,
              "usage: erl ... -run MODULE main -extra [--workers N] [--runs R] [--n COUNT]"
              "   (defaults 2, 5, ~B)~n", [D]),
    halt(2).

%% Prints why the run is wrong and stops the VM with status 1.
fail(Format, Args) ->
    io:format(standard_error, Format ++ "~n", Args),
    halt(1).

now_ns() -> erlang:monotonic_time(nanosecond).

%% One warm-up and Runs measured runs of Run(N) (the figure per unit; Run calls fail/2 if the
%% result is wrong), then the result line with Extra() (a string) at its end; halts with 0.
main_loop(Name, Unit, O, Run) -> main_loop(Name, Unit, O, Run, fun() -> "" end).

main_loop(Name, Unit, #{workers := W, runs := Runs, n := N}, Run, Extra) ->
    _ = Run(N),
    Figures = [begin
                   X = Run(N),
                   io:format(standard_error, "~s (erlang): run ~B: ~.1f ~s~n", [Name, I, float(X), Unit]),
                   X
               end || I <- lists:seq(1, Runs)],
    io:format("~s workers=~B runs=~B n=~B median_ns=~.1f min_ns=~.1f unit=~s~s~n",
              [Name, W, Runs, N, float(median(Figures)), float(lists:min(Figures)), Unit,
               Extra()]),
    halt(0).

%% The median of a non-empty list of numbers.
median(Values) ->
    Sorted = lists:sort(Values),
    K = length(Sorted),
    case K rem 2 of
        1 -> lists:nth(K div 2 + 1, Sorted);
        0 -> (lists:nth(K div 2, Sorted) + lists:nth(K div 2 + 1, Sorted)) / 2
    end.

%% The peak resident set of the VM in KiB (VmHWM, what getrusage's ru_maxrss reports).
peak_rss_kb() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]), binary:match(L, <<"VmHWM:">>) =/= nomatch],
    [_, Kb | _] = binary:split(Line, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(Kb).

%% Waits (bounded, 10 s) until at most Count processes exist: a run's processes have gone.
wait_process_count(Count) -> wait_process_count(Count, 10000).

wait_process_count(Count, 0) ->
    fail("~B processes still alive, expected ~B", [erlang:system_info(process_count), Count]);
wait_process_count(Count, Tries) ->
    case erlang:system_info(process_count) =< Count of
        true -> ok;
        false -> timer:sleep(1), wait_process_count(Count, Tries - 1)
    end.
