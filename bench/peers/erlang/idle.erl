%% Idle memory with Erlang/OTP 25 (shared/BENCH.md, row 7): spawn 1,000,000 processes that
%% wait for a message that never comes; bytes per process of resident-set growth
%% (/proc/self/statm) from before the spawns to after they have all started. As in
%% bench/idle.c, each run happens in a VM of its own: main/0 starts one per run (the warm-up
%% too) with the same emulator flags, and reads its figure. Run with +P 2000000.
-module(idle).
-export([main/0, child/0]).

main() ->
    O = #{workers := W} = bench_harness:parse(1000000),
    Erl = os:find_executable("erl"),
    Dir = filename:dirname(code:which(?MODULE)),
    bench_harness:main_loop("idle", "bytes/actor", O, fun(N) -> run(Erl, Dir, W, N) end).

%% One run in a fresh VM; its last line of output is the figure.
run(Erl, Dir, W, N) ->
    Cmd = io_lib:format("'~s' -noshell +S ~B:~B +P 2000000 -pa '~s' -run idle child -extra ~B",
                        [Erl, W, W, Dir, N]),
    Output = string:trim(os:cmd(lists:flatten(Cmd))),
    Last = lists:last(string:split(Output, "\n", all)),
    try list_to_float(Last)
    catch error:badarg -> bench_harness:fail("idle (erlang): the measuring VM said: ~s", [Output])
    end.

child() ->
    [Text] = init:get_plain_arguments(),
    N = list_to_integer(Text),
    Page = list_to_integer(string:trim(os:cmd("getconf PAGESIZE"))),
    Started = atomics:new(1, []),
    Before = resident_pages(),
    spawn_idle(N, Started),
    wait_started(Started, N),
    After = resident_pages(),
    Count = erlang:system_info(process_count),
    Count >= N orelse bench_harness:fail("idle (erlang): ~B processes alive", [Count]),
    io:format("~.3f~n", [(After - Before) * Page / N]),
    halt(0).

spawn_idle(0, _) -> ok;
spawn_idle(I, Started) ->
    spawn(fun() -> atomics:add(Started, 1, 1), receive stop -> ok end end),
    spawn_idle(I - 1, Started).

wait_started(Started, N) ->
    case atomics:get(Started, 1) of
        N -> ok;
        _ -> timer:sleep(1), wait_started(Started, N)
    end.

resident_pages() ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_, Resident | _] = binary:split(Statm, <<" ">>, [global]),
    binary_to_integer(Resident).
