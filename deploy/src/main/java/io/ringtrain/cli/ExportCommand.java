package io.ringtrain.cli;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.export.SafetensorsExport;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.model.GptConfig;
import io.ringtrain.tokenizer.ByteLevelBpe;
import io.ringtrain.tokenizer.HuggingFaceTokenizerJson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain export}: a checkpoint as Hugging Face GPT-2 safetensors. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Write a checkpoint's weights as model.safetensors with Hugging Face GPT-2 tensor names, and config.json,",
      "so that transformers.GPT2LMHeadModel.from_pretrained(<output>) loads it. Vocabulary padding is dropped.",
      "The job's tokenizer is written as Hugging Face's tokenizer.json (with tokenizer_config.json), which",
      "AutoTokenizer.from_pretrained(<output>) loads."
    })
public final class ExportCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "Checkpoint or run directory.")
  String checkpoint;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Directory to write into.")
  String output;

  @Option(names = "--format", defaultValue = "safetensors", description = "Only safetensors (default).")
  String format;

  @Option(names = "--overwrite", description = "Replace a non-empty output directory.")
  boolean overwrite;

  @Override
  public Integer call() throws Exception {
    if (!format.equals("safetensors")) {
      throw new IllegalArgumentException("--format=" + format + " is not supported: use safetensors");
    }
    Configuration conf = HadoopConf.configuration();
    Path out = new Path(output);
    try (LoadedModel m = LoadedModel.load(checkpoint, 1)) {
      OutputDirs.write(out, conf, overwrite, fs -> {
        GptConfig cfg = m.model().config();
        String tok = m.spec().getData().getTokenizer();
        int eot = cfg.vocabSize() - 1;
        if (!tok.isEmpty() && new Path(tok).getFileSystem(conf).exists(new Path(tok))) {
          ByteLevelBpe bpe = SampleCommand.loadTokenizer(tok);
          eot = bpe.endOfText();
          writeTokenizer(fs, out, bpe, cfg.blockSize());
        }
        try (OutputStream o = fs.create(new Path(out, "model.safetensors"), true)) {
          SafetensorsExport.write(cfg, m.model().params(), o);
        }
        try (OutputStream o = fs.create(new Path(out, "config.json"), true)) {
          o.write(SafetensorsExport.configJson(cfg, eot).getBytes(StandardCharsets.UTF_8));
        }
      });
      System.out.println("wrote " + new Path(out, "model.safetensors") + " and config.json");
    }
    return ExitCodes.OK;
  }

  /**
   * tokenizer.json in Hugging Face's format and transformers' tokenizer_config.json; a tokenizer
   * that format cannot express exactly is left out, with the reason, and the model still exported.
   */
  private static void writeTokenizer(FileSystem fs, Path out, ByteLevelBpe bpe, int context) throws IOException {
    String json;
    try {
      json = HuggingFaceTokenizerJson.write(bpe);
    } catch (IllegalArgumentException e) {
      System.err.println("export: no tokenizer.json written: " + e.getMessage());
      return;
    }
    try (OutputStream o = fs.create(new Path(out, "tokenizer.json"), true)) {
      o.write(json.getBytes(StandardCharsets.UTF_8));
    }
    try (OutputStream o = fs.create(new Path(out, "tokenizer_config.json"), true)) {
      o.write(HuggingFaceTokenizerJson.tokenizerConfig(context).getBytes(StandardCharsets.UTF_8));
    }
  }
}
