from c4guard.cli import main

main()
