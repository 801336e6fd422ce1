package org.dirkms.dist;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/**
 * {@code dirkms --version}: the project version, from {@value #RESOURCE}, which the build
 * writes from the POM's version (resource filtering), so that it is right in the jar and on a
 * class path of classes alike.
 */
final class DirkmsVersion implements IVersionProvider {

    /** The generated resource holding {@code version=...}. */
    static final String RESOURCE = "/org/dirkms/dist/version.properties";

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}. */
    static String version() {
        Properties properties = new Properties();
        try (InputStream in = DirkmsVersion.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // A jar that cannot be read fails at class loading already; say what is known.
            return "unknown (" + RESOURCE + " unreadable: " + e.getMessage() + ")";
        }
        String version = properties.getProperty("version");
        if (version == null || version.startsWith("${")) {
            Package own = DirkmsVersion.class.getPackage();
            version = own != null && own.getImplementationVersion() != null ? own.getImplementationVersion()
                    : "unknown";
        }
        return version;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"dirkms " + version()};
    }
}
