package org.dirkms.dist;

/** Entry point of the {@code dirkms} command. */
public final class DirkmsCommand {
    private DirkmsCommand() {
    }

    /** Runs the command named by {@code args}. */
    public static void main(String[] args) {
        System.out.println("dirkms");
    }
}
