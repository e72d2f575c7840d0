package io.ringtrain.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerHostsTest {
  @Test
  void rankIGoesToEntryIModNWithItsNamespaceAndAddress() {
    WorkerHosts hosts = WorkerHosts.parse("ringtrain-a-h0@10.77.0.10, 10.77.0.11");
    assertTrue(hosts.usesNamespaces());
    assertEquals(List.of("ip", "netns", "exec", "ringtrain-a-h0"), hosts.commandPrefix(0));
    assertEquals("10.77.0.10", hosts.address(0, "127.0.0.1"));
    assertEquals(List.of(), hosts.commandPrefix(1)); // an entry without a namespace runs here
    assertEquals("10.77.0.11", hosts.address(1, "127.0.0.1"));
    assertEquals("10.77.0.10", hosts.address(2, "127.0.0.1"));
    assertEquals(List.of("ip", "netns", "exec", "ringtrain-a-h0"), hosts.commandPrefix(2));
  }

  @Test
  void noHostsRunsEveryWorkerHereOnTheGivenAddress() {
    assertFalse(WorkerHosts.HERE.usesNamespaces());
    assertEquals(List.of(), WorkerHosts.HERE.commandPrefix(3));
    assertEquals("127.0.0.1", WorkerHosts.HERE.address(3, "127.0.0.1"));
  }

  @Test
  void badEntriesAreNamed() {
    IllegalArgumentException noAddress = assertThrows(IllegalArgumentException.class,
        () -> WorkerHosts.parse("ns0@10.77.0.10,ns1@"));
    assertTrue(noAddress.getMessage().contains("'ns1@' has no address"), noAddress.getMessage());
    IllegalArgumentException badName = assertThrows(IllegalArgumentException.class,
        () -> WorkerHosts.parse("a;rm -rf@10.0.0.1"));
    assertTrue(badName.getMessage().contains("is not a network namespace name"), badName.getMessage());
    assertThrows(IllegalArgumentException.class, () -> WorkerHosts.parse("10.77.0.10,,10.77.0.11"));
  }
}
