package org.dirkms.agent.keys;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The one Bouncy Castle provider instance the key, archive and S/MIME code shares. It is passed
 * explicitly to every JCA call and never added to the JVM's provider list, so the embedded
 * directory server and the JDK's TLS keep their own provider order.
 */
public final class JcaProviders {
    /** Built once: constructing the provider registers hundreds of algorithms. */
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private JcaProviders() {
    }

    /** The shared, unregistered Bouncy Castle provider. */
    public static Provider bouncyCastle() {
        return BOUNCY_CASTLE;
    }
}
