// The prompt-alignment flags of `generate`, `eval` and `serve`.
#include "commands.hpp"

namespace mogo::cli {

void add_align_flags(CLI::App* cmd, AlignOptions& o) {
  cmd->add_flag("!--no-align", o.enabled,
                "give the text encoder the prompt as typed (default: the model's meaning encoder reads the prompt as "
                "an action, side and style and aligns it to their training caption; models without one map unknown "
                "words through WordNet)");
  cmd->add_option("--align-cmd", o.command,
                  "rewrite each prompt with this local program first (sh -c; instruction + prompt on stdin, "
                  "training-style description on stdout; see docs/prompts.md); on failure the built-in alignment runs");
  cmd->add_option("--align-neighbours", o.neighbours,
                  "blend the mean condition of this many nearest training captions into a prompt that is far from "
                  "all of them (0: never; the distance and nearest caption are reported either way)")
      ->capture_default_str()->check(CLI::Range(0, 64));
  cmd->add_option("--align-far", o.far_scale,
                  "blend in the nearest captions beyond this multiple of the model's calibrated distance "
                  "(the 95th percentile of its paraphrases' distances)")
      ->capture_default_str()->check(CLI::Range(0.1, 100.0));
  cmd->add_option("--align-timeout", o.timeout_seconds, "seconds --align-cmd may take")
      ->capture_default_str()->check(CLI::Range(0.1, 3600.0));
}

}  // namespace mogo::cli
