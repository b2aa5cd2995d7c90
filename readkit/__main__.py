from readkit.cli import main

main()
