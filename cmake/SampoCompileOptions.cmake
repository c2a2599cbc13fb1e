# Warnings and sanitizers applied to Sampo's own targets through one interface target.
add_library(sampo_options INTERFACE)
add_library(sampo::options ALIAS sampo_options)
target_compile_options(sampo_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                       -Wno-unused-parameter $<$<BOOL:${SAMPO_WERROR}>:-Werror>)
if(SAMPO_SANITIZE)
  target_compile_options(sampo_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(sampo_options INTERFACE -fsanitize=address,undefined)
endif()
