namespace Tests;
