import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local's server, listening on one address instead of every interface: the jar has no
 * -host option and its Jetty server is made without a host. Usage: DynamoDbLoopback <host> <the
 * jar's own options>. Its telemetry is never configured here (ServerRunner.main would). The class
 * file beside this source is what local/emulators/dynamodb.ts runs, so a JRE without javac works;
 * test/unit/dynamodb-loopback.test.ts checks that it is this source compiled with --release 17.
 */
public final class DynamoDbLoopback {
  private DynamoDbLoopback() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
    if (proxy == null) return;
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) ((ServerConnector) connector).setHost(host);
    proxy.start();
  }
}
