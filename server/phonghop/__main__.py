from phonghop.cli import main

raise SystemExit(main())
