# Warning flags shared by the library, the tests, the examples and the benchmarks.
function(art_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    $<$<BOOL:${ART_WERROR}>:-Werror>)
endfunction()
