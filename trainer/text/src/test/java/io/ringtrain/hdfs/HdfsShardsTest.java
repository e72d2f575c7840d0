package io.ringtrain.hdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.corpus.TextCorpus;
import io.ringtrain.data.ShardSet;
import io.ringtrain.data.TokenShardWriter;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/** Shards and corpora on a real HDFS: what a cluster job reads. */
@Tag("slow")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ExtendWith(MiniHdfs.Shared.class)
class HdfsShardsTest {
  static MiniHdfs hdfs;

  @BeforeAll
  static void start(MiniHdfs shared) {
    hdfs = shared;
  }

  @Test
  void shardsWrittenToHdfsReadBackThroughPositionedReads() throws Exception {
    String dir = hdfs.uri() + "/shards";
    for (int s = 0; s < 2; s++) {
      TokenShardWriter w = new TokenShardWriter(hdfs.fs(), new Path(dir + "/train_00000" + s + ".bin"));
      for (int i = 0; i < 5000; i++) w.add((s * 5000 + i) * 7 % 65_536);
      w.commit();
    }
    try (ShardSet set = ShardSet.open(dir, hdfs.conf())) {
      assertEquals(10_000, set.tokens());
      int[] got = new int[100];
      set.read(4950, 100, got, 0);
      for (int i = 0; i < 100; i++) assertEquals((4950 + i) * 7 % 65_536, got[i]);
    }
    assertTrue(hdfs.fs().listStatus(new Path(dir)).length == 2, "no temporary files remain");
  }

  @Test
  void gzippedCorpusOnHdfsStreamsAsLines() throws Exception {
    Path file = new Path(hdfs.uri() + "/corpus/part-0.txt.gz");
    try (OutputStream out = new GZIPOutputStream(hdfs.fs().create(file))) {
      out.write("first document\nsecond\r\n\nthird é\n".getBytes(StandardCharsets.UTF_8));
    }
    TextCorpus corpus = TextCorpus.open(hdfs.uri() + "/corpus", hdfs.conf(), TextCorpus.Split.LINES);
    List<String> docs = new ArrayList<>();
    corpus.forEach((b, n) -> docs.add(new String(b, 0, n, StandardCharsets.UTF_8)));
    assertEquals(List.of("first document", "second", "third é"), docs);
    assertEquals(corpus.totalBytes(), corpus.bytesRead());
    assertArrayEquals(new Object[] {file.getName()}, corpus.files().stream().map(Path::getName).toArray());
  }
}
