from phonghop.cli import main

# Guarded: the document workers start from a forkserver that imports this module.
if __name__ == "__main__":
    raise SystemExit(main())
