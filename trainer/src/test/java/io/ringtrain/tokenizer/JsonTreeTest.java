package io.ringtrain.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTreeTest {
  @Test
  void parsesEveryKindOfValue() {
    Object v = JsonTree.parse(" {\"a\": [1, -2.5e1, 0, true, false, null], \"s\": \"q\\\"\\\\\\/"
        + "\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00x\", \"o\": {}, \"e\": []}\n");
    Map<?, ?> m = (Map<?, ?>) v;
    List<?> a = (List<?>) m.get("a");
    assertEquals(List.of(1.0, -25.0, 0.0, true, false), a.subList(0, 5));
    assertSame(JsonTree.NULL, a.get(5));
    assertEquals("q\"\\/\b\f\n\r\té😀x", m.get("s"));
    assertEquals(Map.of(), m.get("o"));
    assertEquals(List.of(), m.get("e"));
  }

  @Test
  void rejectsWhatRfc8259Rejects() {
    for (String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "{a: 1}", "01", "1.", "-",
        "\"\\x\"", "\"a\nb\"", "tru", "[1] 2", "{\"a\": 1, \"a\": 2}", "\"\\u12\"", "\"open"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> JsonTree.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("expected ") && e.getMessage().contains(" at offset "),
          e.getMessage());
    }
  }
}
